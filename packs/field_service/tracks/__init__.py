"""Location pings, daily tracks (足迹) and how they are built."""
