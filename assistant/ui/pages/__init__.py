"""One module per page, each exposing `render() -> None`."""
