"""One door per operation: the service functions the CLI, the admin pages, the demo and the
daemon all call."""
