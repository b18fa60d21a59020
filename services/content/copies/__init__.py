"""Content's copies of other services' entities, fed by their events: members (profiles)
and who is connected to, follows or blocks whom (connections)."""
