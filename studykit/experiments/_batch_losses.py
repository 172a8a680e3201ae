"""Per-update measurements during ``model.fit`` (shared by learning_rate and minibatch).

Keras reports ``logs["loss"]`` in ``on_train_batch_end`` as the running mean of the epoch so
far, weighted by the number of samples in each batch. ``BatchLossRecorder`` turns it back into
the loss of each individual batch: with S_k samples seen after batch k and running mean M_k,
the loss of batch k is (S_k·M_k − S_{k−1}·M_{k−1}) / n_k. It also counts the batches Keras
actually ran in each epoch and times each epoch.

Keras is imported only when a recorder is built, so importing this module stays cheap.
"""

from __future__ import annotations

import math
import time


def batch_loss_recorder(n_samples: int, batch_size: int, labels: dict | None = None):
    """A Keras callback recording one row per update: (labels), epoch, update, step, loss.

    ``n_samples``/``batch_size`` give the size of each batch (the last one may be smaller).
    After ``fit``: ``records`` (rows), ``updates_per_epoch`` (list, Keras' own count of
    ``on_train_batch_end`` calls per epoch) and ``epoch_seconds`` (wall time of each epoch).
    """
    import keras

    labels = dict(labels or {})

    class BatchLossRecorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.records: list[dict] = []
            self.updates_per_epoch: list[int] = []
            self.epoch_seconds: list[float] = []
            self._step = 0

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch
            self._count = 0
            self._seen = 0
            self._mean = 0.0
            self._started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            size = min(batch_size, n_samples - self._seen) if self._seen < n_samples else 0
            size = size or batch_size
            mean = float((logs or {}).get("loss", math.nan))
            seen = self._seen + size
            if math.isfinite(mean) and math.isfinite(self._mean):
                loss = (seen * mean - self._seen * self._mean) / size
            else:
                loss = mean
            self._count += 1
            self._step += 1
            self._seen, self._mean = seen, mean
            self.records.append(
                {
                    **labels,
                    "epoch": self._epoch + 1,
                    "update": self._count,
                    "step": self._step,
                    "loss": float(loss),
                }
            )

        def on_epoch_end(self, epoch, logs=None):
            self.updates_per_epoch.append(self._count)
            self.epoch_seconds.append(time.perf_counter() - self._started)

    return BatchLossRecorder()
