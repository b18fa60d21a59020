"""Events: conferences and meetups, RSVPs, check-ins, in-person meetings, and the webhook
deliveries of event platforms that feed them."""
