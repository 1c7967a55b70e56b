"""Descriptions without an error line rank the entry they describe first, through the real engine.

Each case is a short description written for this test (not copied from any post or evaluation set), in
the words people use for the symptom, and phrased so that a neighbouring entry is the likely mistake:
memory that grows each step against a plain CUDA out of memory, a process killed for RAM against a dead
Jupyter kernel, a loss that never moves against a loss that turns NaN, weights that never update, the
eval mode forgotten against unseeded runs, a GPU a container cannot see against one PyTorch cannot see.
Many are in Chinese, as many real reports are. Most of them ranked another entry first before the
entries' phrasings were widened; the few that already passed describe the other side of a pair and guard
it against the new phrasings pulling it away.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

# Known limits, each a strict xfail: a description this suite expects ranked right that the matcher does not rank
# right yet. None now. Two were until the fitted description ranking ([ranking] in the table, which weighs the
# labelled examples beside the curated phrasings' coverage and the share of the message an entry explains):
# "容器里 torch.cuda.is_available() 是 False，宿主机上是 True" followed cuda/not-available's many labelled examples
# (it holds that entry's signature words word for word, and "container" alone did not outweigh them), and
# "running out of gpu memory when loading the model" followed the corpus's descriptions of memory growing step
# after step. The Docker description in English and with "docker" sat at the boundary and flipped with refits
# before: a refit that fails one of these again should list it here with its reason.
KNOWN_LIMITS: dict[str, str] = {}

DESCRIPTIONS = [
    # memory that climbs step after step, not a model too big for the card
    ("显存占用越来越高，最后爆显存", "pytorch/gpu-memory-grows-each-iteration"),
    ("每跑一个 batch 显存就多占一点，一直不释放", "pytorch/gpu-memory-grows-each-iteration"),
    # not enough memory from the start
    ("显存不足，batch size 已经改成 1 了还是爆显存", "cuda/out-of-memory"),
    ("my graphics card doesn't have enough vram for this model, it fails straight away", "cuda/out-of-memory"),
    ("running out of gpu memory when loading the model", "cuda/out-of-memory"),
    # host RAM and the OOM killer, not the GPU
    ("程序处理大文件时被系统杀掉了，内存占用到百分之百", "python/process-killed-oom"),
    ("CPU 内存（不是显存）一直涨，最后进程被 kill", "python/process-killed-oom"),
    (
        "zsh: killed appears when my preprocessing reads the big dataset, nothing else is printed",
        "python/process-killed-oom",
    ),
    # the notebook's kernel, whatever the cause
    ("jupyter 的内核一运行这个单元格就挂掉，然后自动重启", "jupyter/kernel-died"),
    ("the notebook keeps telling me the kernel died and it could not restart it", "jupyter/kernel-died"),
    ("Spyder 的内核老是自己重启", "jupyter/kernel-died"),
    # a GPU waiting for data
    ("GPU 利用率大部分时间是 0，训练特别慢", "pytorch/low-gpu-utilization"),
    ("显卡占用率只有个位数，cpu 倒是跑满了", "pytorch/low-gpu-utilization"),
    (
        "volatile gpu-util jumps around and drops to zero every couple of seconds while training",
        "pytorch/low-gpu-utilization",
    ),
    # a loss that does not move, against one that turns NaN
    ("训练了好几个 epoch，loss 一直在 0.69 左右波动，就是不下降", "pytorch/loss-not-decreasing"),
    ("损失值几乎不变，准确率也一直上不去", "pytorch/loss-not-decreasing"),
    ("训练到第三个 epoch loss 突然变成 nan 了", "pytorch/loss-is-nan"),
    ("损失突然变成 inf，接着就全是 nan", "pytorch/loss-is-nan"),
    # weights that never change
    ("训练前后模型的参数一模一样，权重根本没有更新", "pytorch/optimizer-step-without-loss-backward"),
    ("打印出来的权重训练前后完全没有变化", "pytorch/optimizer-step-without-loss-backward"),
    (
        "I compared the weights before and after an epoch and they are identical, nothing gets updated",
        "pytorch/optimizer-step-without-loss-backward",
    ),
    # dropout and batch norm still in training mode, against unseeded runs
    ("测试的时候同一张图片每次预测出来的结果都不一样", "pytorch/eval-mode-forgotten"),
    ("训练集上效果很好，单独写的推理脚本预测结果却很差", "pytorch/eval-mode-forgotten"),
    ("已经固定了随机种子，每次训练出来的结果还是不一样", "pytorch/results-not-reproducible"),
    ("同样的代码和种子，两次训练的 loss 曲线不一样", "pytorch/results-not-reproducible"),
    ("固定 seed 之后两次训练的准确率还是不一样", "pytorch/results-not-reproducible"),
    # a container without the GPU, against PyTorch without CUDA
    ("容器里 torch.cuda.is_available() 是 False，宿主机上是 True", "cuda/docker-gpu-not-visible"),
    (
        "inside my docker container torch says cuda is not available but the host has a gpu",
        "cuda/docker-gpu-not-visible",
    ),
    ("PyTorch 检测不到我的显卡，只能用 CPU 跑", "cuda/not-available"),
    # CUDA works; the tensors are on two devices
    ("数据和模型不在同一个设备上，一个在 GPU 一个在 CPU", "pytorch/device-mismatch"),
    ("模型已经 .cuda() 了，可是输入的 tensor 还在 cpu 上", "pytorch/device-mismatch"),
    ("安装的 pytorch 是 cpu 版本，怎么换成 cuda 版本", "cuda/not-available"),
    ("在 docker 里跑 torch.cuda.is_available() 返回 False", "cuda/docker-gpu-not-visible"),
    ("jax only lists the cpu device and ignores my gpu", "jax/cuda-backend-failed"),
    ("jax.default_backend() says cpu even though nvidia-smi shows my card", "jax/cuda-backend-failed"),
    ("jax 检测不到显卡，jax.devices() 里只有 cpu", "jax/cuda-backend-failed"),
    # figures on a machine without a display
    ("plt.show() 执行了但是没有弹出任何图片窗口", "matplotlib/no-display"),
    ("在服务器上用 matplotlib 画图，图窗口不显示", "matplotlib/no-display"),
    ("matplotlib warns about a non-gui backend and my figure never appears", "matplotlib/no-display"),
    # Chinese text drawn as boxes is a missing font, not a missing display
    ("画图的时候中文标题变成了一个个小方块", "matplotlib/cjk-glyph-missing"),
    ("用了 SimHei 字体中文还是不显示", "matplotlib/cjk-glyph-missing"),
    # a relative path, not a missing module
    ("文件明明就在脚本旁边，运行的时候却提示找不到文件", "python/file-not-found-relative-path"),
    ("换了个工作目录运行脚本，读数据文件就找不到了", "python/file-not-found-relative-path"),
    # workers that die, not workers that are slow
    ("num_workers 设成大于 0 训练就崩，dataloader 的 worker 被杀掉了", "pytorch/dataloader-worker-killed-shm"),
    ("dataloader 的 worker 进程训练到一半异常退出了", "pytorch/dataloader-worker-killed-shm"),
    ("docker 里 dataloader 报 bus error，说共享内存不够", "pytorch/dataloader-worker-killed-shm"),
    # an old CPU without the instructions the wheel needs
    ("import tensorflow 之后直接非法指令 (核心已转储)，没有任何报错信息", "python/illegal-instruction-cpu"),
    ("一 import 就非法指令，核心已转储", "python/illegal-instruction-cpu"),
    ("服务器 CPU 太老不支持 AVX，一导入就崩", "python/illegal-instruction-cpu"),
    # the shell cannot find pip, not Python a module
    ("cmd 里输入 pip 提示不是内部或外部命令", "pip/command-not-found"),
    ("刚装好 python，命令行里 pip 用不了", "pip/command-not-found"),
    ("PowerShell 说无法将 pip 识别为 cmdlet", "pip/command-not-found"),
]


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        pytest.param(
            text,
            expected,
            id=f"{expected}-{n}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_LIMITS[text])] if text in KNOWN_LIMITS else [],
        )
        for n, (text, expected) in enumerate(DESCRIPTIONS)
    ],
)
def test_description_ranks_its_entry_first(bundled_engine: Engine, description: str, expected: str) -> None:
    best = bundled_engine.match(description).best
    assert best is not None, description
    assert best.entry.id == expected, f"{description!r} ranked {best.entry.id} first"
