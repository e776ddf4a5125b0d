"""What the tests share: builders, signed-in clients and clocks (see `duecourse.testing.factories`)."""
