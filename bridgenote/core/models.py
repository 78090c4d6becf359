from __future__ import annotations

from django.db import models

from bridgenote.core.ids import new_id


class SnowflakeModel(models.Model):
    """Abstract base: a time-sortable 64-bit primary key (see ``core.ids``)."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)

    class Meta:
        abstract = True
