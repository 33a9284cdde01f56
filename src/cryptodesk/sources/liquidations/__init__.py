"""Live liquidation feeds: per-exchange normalisers (binance, bybit, okx) and the websocket client (stream)."""
