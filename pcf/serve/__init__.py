"""What pcf offers to others over the web: the read-only PACT host API (:mod:`.server`, ``pcf serve``;
footprints from the registry and result files in :mod:`.host`, API clients in :mod:`.clients`), the
label-verification pages live at the QR code's URL (:mod:`.live`, also ``pcf serve``) and as a static
site (:mod:`.publish`, ``pcf registry publish``), both with the status of :mod:`.status`."""
