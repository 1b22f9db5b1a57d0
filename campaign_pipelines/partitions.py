"""Partitions shared across the chain: each wave of texts is a partition."""

from dagster import DynamicPartitionsDefinition

# Fed from the campaign config's waves (see the wave sensor); names are wave ids.
wave_partitions = DynamicPartitionsDefinition(name="waves")
