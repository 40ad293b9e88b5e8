"""The ground floor: errors, files, YAML sources, the Brightway gateway, units, canonical JSON and
the vocabulary (stages, GHG categories, stage names). Imports nothing else of pcf."""
