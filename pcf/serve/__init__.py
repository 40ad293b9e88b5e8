"""What pcf offers to others over the web: the read-only PACT host API (:mod:`.server`, ``pcf serve``;
footprints from the registry and result files in :mod:`.host`, API clients in :mod:`.clients`) and
the static label-verification pages (:mod:`.publish`, ``pcf registry publish``)."""
