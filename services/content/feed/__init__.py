"""A member's feed (posts and shares, newest first or by value) and their mutes."""
