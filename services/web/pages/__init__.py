"""The web's page areas, one router each (templates under templates/<area>/)."""

from . import balance, home, people, profile, relationships, signin

ROUTERS = [
    signin.router,
    home.router,
    relationships.router,
    balance.router,
    profile.router,
    people.router,
]
