"""Backup and restore of a whole library: song documents, feature objects and the threshold."""
