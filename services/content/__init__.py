"""Content: posts, comments, reactions, shares, groups, group chat, direct messages, the feed."""
