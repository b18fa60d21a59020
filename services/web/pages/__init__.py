"""The web's page areas, one router each (templates under templates/<area>/)."""

from . import (
    balance,
    deliveries,
    events,
    feed,
    groups,
    home,
    insights,
    messages,
    organise,
    people,
    profile,
    relationships,
    signin,
)

ROUTERS = [
    signin.router,
    home.router,
    relationships.router,
    balance.router,
    profile.router,
    people.router,
    feed.router,
    groups.router,
    messages.router,
    organise.router,  # before events: /events/new is no event id
    events.router,
    insights.router,
    deliveries.router,
]
