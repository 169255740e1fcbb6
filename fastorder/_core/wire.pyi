"""Field validation shared by the venue encoders. C-level only (`cimport fastorder._core.wire`); it has no
Python API."""
