"""Sensors, each beside the job it launches."""
