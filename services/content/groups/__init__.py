"""Groups: creating them, joining and leaving, invitations, ownership."""
