"""The texts the benchmarks match: generated, deterministic, shaped like what people paste.

Frames, paths and log lines follow what PyTorch Lightning training runs really print, so extraction
and matching do the same work they do on a real message.
"""

from __future__ import annotations

import random

ONE_LINE = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x2048 and 512x10)"
SYMPTOM = "my training loss turns into nan after a few hundred steps once I switch on fp16, anyone seen this?"

_SITE = "/home/ada/.venv/lib/python3.11/site-packages"
_PROJ = "/home/ada/proj"
# Outermost first, as a traceback prints them: (file, line, function, source line).
_FRAMES: tuple[tuple[str, int, str, str], ...] = (
    (f"{_PROJ}/train.py", 212, "<module>", "main(cfg)"),
    (f"{_PROJ}/train.py", 198, "main", "trainer.fit(model, datamodule=dm)"),
    (f"{_SITE}/lightning/pytorch/trainer/trainer.py", 538, "fit", "call._call_and_handle_interrupt("),
    (f"{_SITE}/lightning/pytorch/trainer/call.py", 47, "_call_and_handle_interrupt",
     "return trainer_fn(*args, **kwargs)"),
    (f"{_SITE}/lightning/pytorch/trainer/trainer.py", 574, "_fit_impl", "self._run(model, ckpt_path=ckpt_path)"),
    (f"{_SITE}/lightning/pytorch/trainer/trainer.py", 981, "_run", "results = self._run_stage()"),
    (f"{_SITE}/lightning/pytorch/trainer/trainer.py", 1025, "_run_stage", "self.fit_loop.run()"),
    (f"{_SITE}/lightning/pytorch/loops/fit_loop.py", 205, "run", "self.advance()"),
    (f"{_SITE}/lightning/pytorch/loops/fit_loop.py", 363, "advance", "self.epoch_loop.run(self._data_fetcher)"),
    (f"{_SITE}/lightning/pytorch/loops/training_epoch_loop.py", 140, "run", "self.advance(data_fetcher)"),
    (f"{_SITE}/lightning/pytorch/loops/training_epoch_loop.py", 250, "advance",
     "batch_output = self.automatic_optimization.run(trainer.optimizers[0], batch_idx, kwargs)"),
    (f"{_SITE}/lightning/pytorch/loops/optimization/automatic.py", 190, "run",
     "self._optimizer_step(batch_idx, closure)"),
    (f"{_SITE}/lightning/pytorch/loops/optimization/automatic.py", 268, "_optimizer_step",
     "call._call_lightning_module_hook("),
    (f"{_SITE}/lightning/pytorch/trainer/call.py", 167, "_call_lightning_module_hook", "output = fn(*args, **kwargs)"),
    (f"{_SITE}/lightning/pytorch/core/module.py", 1306, "optimizer_step", "optimizer.step(closure=optimizer_closure)"),
    (f"{_SITE}/lightning/pytorch/core/optimizer.py", 153, "step",
     "step_output = self._strategy.optimizer_step(self._optimizer, closure, **kwargs)"),
    (f"{_SITE}/lightning/pytorch/strategies/strategy.py", 238, "optimizer_step",
     "return self.precision_plugin.optimizer_step(optimizer, model=model, closure=closure, **kwargs)"),
    (f"{_SITE}/lightning/pytorch/plugins/precision/precision.py", 122, "optimizer_step",
     "return optimizer.step(closure=closure, **kwargs)"),
    (f"{_SITE}/torch/optim/optimizer.py", 487, "wrapper", "out = func(*args, **kwargs)"),
    (f"{_SITE}/torch/optim/optimizer.py", 91, "_use_grad", "ret = func(self, *args, **kwargs)"),
    (f"{_SITE}/torch/optim/adamw.py", 197, "step", "loss = closure()"),
    (f"{_SITE}/lightning/pytorch/plugins/precision/precision.py", 108, "_wrap_closure", "closure_result = closure()"),
    (f"{_SITE}/lightning/pytorch/loops/optimization/automatic.py", 144, "__call__",
     "self._result = self.closure(*args, **kwargs)"),
    (f"{_SITE}/torch/utils/_contextlib.py", 116, "decorate_context", "return func(*args, **kwargs)"),
    (f"{_SITE}/lightning/pytorch/loops/optimization/automatic.py", 129, "closure", "step_output = self._step_fn()"),
    (f"{_SITE}/lightning/pytorch/loops/optimization/automatic.py", 317, "_training_step",
     'training_step_output = call._call_strategy_hook(trainer, "training_step", *kwargs.values())'),
    (f"{_SITE}/lightning/pytorch/trainer/call.py", 319, "_call_strategy_hook", "output = fn(*args, **kwargs)"),
    (f"{_SITE}/lightning/pytorch/strategies/strategy.py", 390, "training_step",
     "return self.lightning_module.training_step(*args, **kwargs)"),
    (f"{_PROJ}/model.py", 88, "training_step", "logits = self(x)"),
    (f"{_SITE}/torch/nn/modules/module.py", 1739, "_wrapped_call_impl", "return self._call_impl(*args, **kwargs)"),
    (f"{_SITE}/torch/nn/modules/module.py", 1750, "_call_impl", "return forward_call(*args, **kwargs)"),
    (f"{_PROJ}/model.py", 61, "forward", "return self.head(h)"),
    (f"{_SITE}/torch/nn/modules/module.py", 1739, "_wrapped_call_impl", "return self._call_impl(*args, **kwargs)"),
    (f"{_SITE}/torch/nn/modules/module.py", 1750, "_call_impl", "return forward_call(*args, **kwargs)"),
    (f"{_SITE}/torch/nn/modules/linear.py", 125, "forward", "return F.linear(input, self.weight, self.bias)"),
)  # fmt: skip


def traceback(lines: int = 60, error: str = ONE_LINE) -> str:
    """A traceback of exactly `lines` lines: the header, the innermost frames (two lines each), the error."""
    frames = min(len(_FRAMES), (lines - 2) // 2)
    body = [f'  File "{f}", line {n}, in {fn}\n    {src}' for f, n, fn, src in _FRAMES[-frames:]]
    # Python 3.11+ underlines the failing call with carets; they fill an odd line count.
    carets = ["           " + "^" * 40] * (lines - 2 - 2 * frames)
    return "\n".join(["Traceback (most recent call last):", *body, *carets, error]) + "\n"


_WARNING = (
    f"{_SITE}/lightning/pytorch/trainer/connectors/data_connector.py:425: "
    "The 'val_dataloader' does not have many workers which may be a bottleneck."
)


def training_log(lines: int = 5_000, seed: int = 7) -> str:
    """A training run's log attachment ending in the 60-line traceback."""
    rng = random.Random(seed)
    out: list[str] = []
    loss = 6.2
    step = 0
    tail = traceback(60)
    while len(out) < lines - 60:
        step += 1
        epoch = step // 1000
        loss = max(0.05, loss * (0.9993 + rng.random() * 0.0009))
        stamp = f"2026-11-21 14:{(step // 60) % 60:02d}:{step % 60:02d},{rng.randrange(1000):03d}"
        roll = rng.random()
        if step % 250 == 0:
            acc = 0.4 + 0.5 * (1 - loss / 6.2)
            out.append(f"[{stamp}][train][INFO] - epoch {epoch} validation: val_loss={loss * 1.07:.4f} acc={acc:.4f}")
        elif roll < 0.002:
            out.append(f"[{stamp}][py.warnings][WARNING] - {_WARNING}")
        elif roll < 0.01:
            done = step % 1000
            out.append(
                f"Epoch {epoch}:  {done / 10:.0f}%|####      | {done}/1000 [{step // 6}s<{(1000 - done) // 6}s, "
                f"5.9it/s, v_num=3, train_loss={loss:.3f}]"
            )
        else:
            lr = 3e-4 * (1 - step / 9000)
            out.append(
                f"[{stamp}][train][INFO] - epoch {epoch} | step {step}/9000 | loss {loss:.4f} | lr {lr:.2e} | "
                f"grad_norm {0.5 + rng.random():.3f} | {5.5 + rng.random():.2f} it/s"
            )
    return "\n".join(out) + "\n" + tail


_CHAT = (
    "anyone know a good tutorial for fine-tuning {model} on a small dataset?",
    "thanks, that worked!",
    "lol same",
    "has anyone tried {model} with {lib} yet? is it worth switching",
    "I pushed the fix to the branch, can someone review?",
    "what batch size are you all using for {model} on a {gpu}?",
    "good morning everyone",
    "is the meeting still at {n} pm?",
    "here's my config: lr={lr}, batch_size={n}, epochs={n}",
    "the docs for {lib} are really confusing tbh",
    "does {lib} support apple silicon now?",
    "I'd recommend reading the {lib} migration guide first",
    "you can just use `model.eval()` before inference",
    "```python\nfor batch in loader:\n    out = model(batch)\n    loss = crit(out, y)\n```\nis this the right loop?",
    "it took {n} hours to train on a {gpu}, pretty happy with it",
    "which is faster, {lib} or {lib2}?",
    "just upgraded to python 3.12, everything seems fine so far",
    "ok I'll try that and report back",
    "the paper says they used {n} warmup steps",
    "do I need to normalise the inputs before {model}?",
    "nice! can you share the notebook?",
    "how do I freeze the first {n} layers of {model}?",
    "the accuracy went from 0.{n} to 0.9 after adding augmentation",
    "is there a way to log gradients with {lib}?",
)
_FILL = {
    "model": ("bert-base", "llama-3-8b", "resnet50", "whisper-small", "a UNet", "mistral-7b", "vit-b/16"),
    "lib": ("pytorch", "lightning", "transformers", "jax", "numpy", "pandas", "accelerate", "deepspeed"),
    "lib2": ("tensorflow", "keras", "onnxruntime", "polars"),
    "gpu": ("3090", "4090", "A100", "T4 on colab", "M2 Max"),
}


def chat_messages(count: int = 1_000, seed: int = 11) -> list[str]:
    """Ordinary help-channel chatter with no error in it: what the passive path sees most of the day."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(count):
        template = rng.choice(_CHAT)
        out.append(
            template.format(
                **{k: rng.choice(v) for k, v in _FILL.items()},
                n=rng.randrange(2, 64),
                lr=rng.choice(("1e-4", "3e-4", "5e-5")),
            )
        )
    return out


def query_texts() -> dict[str, str]:
    """Name -> text for each latency figure, in the order the table shows them."""
    return {
        "one-line error": ONE_LINE,
        "60-line traceback": traceback(60),
        "5,000-line log": training_log(5_000),
        "symptom sentence": SYMPTOM,
    }
