"""The one MetaData all warehouse tables belong to."""

from sqlalchemy import MetaData

metadata = MetaData()
