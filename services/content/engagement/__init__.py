"""Engagement with posts: comments (and replies), reactions (to posts and comments), shares."""
