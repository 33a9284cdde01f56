"""cryptodesk.analytics: pure point-in-time analytics on :class:`~cryptodesk.core.frames.MarketFrames`.

Modules:

* :mod:`~cryptodesk.analytics.kernels`  array-in, array-out series kernels (SMA, σ-distance, RSI, window
  changes, highs/lows, drawdown, volume ratio, zigzag swings, σ rarity) shared by every engine.
* :mod:`~cryptodesk.analytics.asof`     ``analyze(frames)`` -> :class:`~cryptodesk.analytics.types.Analysis`.
* :mod:`~cryptodesk.analytics.market`   the market state (total market cap, dominance, swings) and
  ``daily_series(frames, subject)`` for events and charts.
* :mod:`~cryptodesk.analytics.types`    the result records (the contract with the layers above).

Nothing here touches a database or the network.
"""
