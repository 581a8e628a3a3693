"""Many files: find them (``discovery``), decide where each output goes
(``outputs``), run one task per file (``tasks``) in local processes or on a Dask
cluster (``runners``)."""
