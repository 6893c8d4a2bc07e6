"""Outputs for people and dashboards: the read model export, the report page, charts, calendars, Datasette metadata."""
