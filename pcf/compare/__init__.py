"""Comparing footprints: reduction and handprint claims between two results (:mod:`.claims`,
``pcf compare``) and the scenario comparison of one model (:mod:`.scenarios`, ``pcf scenarios``)."""
