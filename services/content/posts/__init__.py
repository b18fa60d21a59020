"""Posts: publishing, editing, deleting, who sees them, and how the API shows them."""
