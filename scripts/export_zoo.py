#!/usr/bin/env python3
"""Exports the model zoo (torchvision architectures and two hand-written blocks) as ONNX files for ModelZooTests.

Random weights only (pretrained weights cannot be downloaded here), seeded with torch.manual_seed, so every run
writes the same models. Usage: export_zoo.py OUT_DIR [--force] [--only NAME ...]. Run by scripts/model-zoo.sh.

Random-weight networks in eval mode normalise nothing: every BatchNorm keeps running mean 0 and variance 1, so
activations drift by orders of magnitude through a deep net and a float32 comparison says little. Each model's
BatchNorm statistics are therefore calibrated first (train mode, cumulative averages, a few forward passes over the
sample photographs or smooth noise, no gradient), which keeps activations of order 1 as in a trained model. A model
whose outputs are still not finite or larger than MAX_OUTPUT afterwards has its convolution and linear weights
re-drawn from a small normal distribution and is calibrated again. A model whose outputs all stay below MIN_OUTPUT
(torchvision initialises some classifiers with N(0, 0.01): logits of 0.01 would pass an absolute 1e-3 check
almost whatever is computed) has its last convolution or linear layer scaled up so that its largest output is
about 4. The script prints what it did per model.
"""
import argparse
import hashlib
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 13
SEED = 0
MAX_OUTPUT = 1e3
MIN_OUTPUT = 0.1
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PHOTOS = ("chelsea.png", "astronaut.png", "coffee.png", "camera.png")


class AttentionBlock(nn.Module):
    """A pre-norm transformer encoder block on [1, T, C]: LayerNorm, multi-head self-attention (Linear q/k/v,
    softmax over the last axis, two batched matmuls), residual, LayerNorm, MLP with GELU, residual."""

    def __init__(self, dim=64, heads=4, mlp=4, gelu="none"):
        super().__init__()
        self.gelu = gelu
        self.heads, self.head_dim = heads, dim // heads
        self.norm1 = nn.LayerNorm(dim)
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, dim * mlp), nn.Linear(dim * mlp, dim)

    def forward(self, x):
        b, t, c = x.shape
        h = self.norm1(x)

        def split(y):   # [b, t, c] -> [b, heads, t, head_dim]
            return y.reshape(b, t, self.heads, self.head_dim).permute(0, 2, 1, 3)

        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        attn = torch.softmax(scores, dim=-1)
        y = torch.matmul(attn, v).permute(0, 2, 1, 3).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x)), approximate=self.gelu))


class CtcHead(nn.Module):
    """A CRNN-style text recogniser without the recurrence: convolutions reduce a 32-pixel-high text line to height
    1, the columns become a sequence [1, T, C], a Linear gives per-step class scores, log_softmax over the classes
    (the last axis) as a CTC loss expects."""

    def __init__(self, classes=37):
        super().__init__()

        def block(cin, cout, pool):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                    nn.MaxPool2d(pool, pool)]

        self.features = nn.Sequential(*block(3, 32, (2, 2)), *block(32, 64, (2, 2)), *block(64, 96, (2, 1)),
                                      nn.Conv2d(96, 128, (4, 1)), nn.ReLU(inplace=True))
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        f = self.features(x)                  # [1, 128, 1, T]
        seq = f.squeeze(2).permute(0, 2, 1)   # [1, T, 128]
        return F.log_softmax(self.fc(seq), dim=-1)


class OutKey(nn.Module):
    """torchvision's segmentation models return a dict; this exports its 'out' tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def torchvision_model(name, **kwargs):
    import torchvision.models as tvm
    import torchvision.models.segmentation as seg
    for module in (tvm, seg):
        fn = getattr(module, name, None)
        if fn is not None:
            return fn(**kwargs)
    raise LookupError(f"torchvision {getattr(__import__('torchvision'), '__version__', '?')} has no {name}")


def tanh_gelu(model):
    """Every nn.GELU switched to the tanh approximation (exported as Tanh, Pow, Mul, Add instead of Erf)."""
    for m in model.modules():
        if isinstance(m, nn.GELU):
            m.approximate = "tanh"
    return model


def seg_model(name):
    kwargs = dict(weights=None, weights_backbone=None, num_classes=21)
    if name.startswith("deeplabv3"):
        kwargs["aux_loss"] = False
    return OutKey(torchvision_model(name, **kwargs))


# name -> (builder, input shape, what it exercises[, opset])
ZOO = {
    "shufflenet_v2_x1_0": (lambda: torchvision_model("shufflenet_v2_x1_0", weights=None), (1, 3, 224, 224),
                           "channel shuffle (rank-5 reshape + transpose), chunk/Split, depthwise convolutions"),
    "convnext_tiny": (lambda: torchvision_model("convnext_tiny", weights=None), (1, 3, 224, 224),
                      "7x7 depthwise convolutions, permutes to NHWC, LayerNorm (decomposed at opset 13), Linear on "
                      "rank-4 tensors, GELU (Erf), layer scale"),
    "convnext_tiny_gelu_tanh": (lambda: tanh_gelu(torchvision_model("convnext_tiny", weights=None)), (1, 3, 224, 224),
                                "convnext_tiny with GELU's tanh approximation: what the model needs besides Erf"),
    "mobilenet_v2": (lambda: torchvision_model("mobilenet_v2", weights=None), (1, 3, 224, 224),
                     "inverted residuals: 1x1 expand, 3x3 depthwise, linear 1x1 project, ReLU6 (Clip)"),
    "mobilenet_v3_small": (lambda: torchvision_model("mobilenet_v3_small", weights=None), (1, 3, 224, 224),
                           "HardSwish, HardSigmoid, squeeze-excitation"),
    "efficientnet_b0": (lambda: torchvision_model("efficientnet_b0", weights=None), (1, 3, 224, 224),
                        "SiLU (Sigmoid x Mul), squeeze-excitation, 5x5 depthwise convolutions"),
    "regnet_x_400mf": (lambda: torchvision_model("regnet_x_400mf", weights=None), (1, 3, 224, 224),
                       "grouped convolutions (group width 16), residuals"),
    "densenet121": (lambda: torchvision_model("densenet121", weights=None), (1, 3, 224, 224),
                    "dense blocks: long channel Concat chains, BatchNorm before convolution, average pooling"),
    "googlenet": (lambda: torchvision_model("googlenet", weights=None, aux_logits=False, init_weights=True),
                  (1, 3, 224, 224), "Inception branches with Concat, ceil-mode max pooling"),
    "resnet18": (lambda: torchvision_model("resnet18", weights=None), (1, 3, 224, 224),
                 "the classic: residual Add, max pool, Gemm"),
    "resnet18_batch4": (lambda: torchvision_model("resnet18", weights=None), (4, 3, 224, 224),
                        "resnet18 on a batch of four photographs"),
    "deeplabv3_mobilenet_v3_large": (lambda: seg_model("deeplabv3_mobilenet_v3_large"), (1, 3, 224, 224),
                                     "dilated depthwise convolutions, ASPP with global pooling, bilinear Resize"),
    "lraspp_mobilenet_v3_large": (lambda: seg_model("lraspp_mobilenet_v3_large"), (1, 3, 224, 224),
                                  "LR-ASPP: average pooling gate (Sigmoid x Mul), bilinear Resize, two heads"),
    "attention_block": (lambda: AttentionBlock(), (1, 49, 64),
                        "transformer block on [1,T,C]: LayerNorm, MatMul of two run-time tensors, softmax over the "
                        "last axis, GELU"),
    "attention_block_gelu_tanh": (lambda: AttentionBlock(gelu="tanh"), (1, 49, 64),
                                  "attention_block with GELU's tanh approximation: what it needs besides Erf"),
    "attention_block_opset17": (lambda: AttentionBlock(gelu="tanh"), (1, 49, 64),
                                "attention_block_gelu_tanh at opset 17: LayerNorm exported as LayerNormalization", 17),
    "ctc_head": (lambda: CtcHead(), (1, 3, 32, 128),
                 "conv -> squeeze + permute to [1,T,C] -> Linear (MatMul on rank 3) -> log_softmax over the last axis"),
}


def load_photos(image_dir, h, w, count):
    """The sample photographs at h x w, ImageNet-normalised, as [count, 3, h, w]; smooth noise without PIL."""
    try:
        from PIL import Image
        import numpy as np
        xs = []
        for i in range(count):
            img = Image.open(os.path.join(image_dir, PHOTOS[i % len(PHOTOS)])).convert("RGB").resize((w, h), Image.BILINEAR)
            a = np.asarray(img, dtype=np.float32) / 255.0
            if i >= len(PHOTOS):
                a = a[:, ::-1, :].copy()   # mirrored copies for a larger calibration batch
            x = torch.from_numpy(a).permute(2, 0, 1)
            xs.append((x - torch.tensor(IMAGENET_MEAN)[:, None, None]) / torch.tensor(IMAGENET_STD)[:, None, None])
        return torch.stack(xs)
    except Exception as e:   # noqa: BLE001 - any failure: fall back to noise
        print(f"  (photographs unavailable: {e}; calibrating on smooth noise)")
        g = torch.Generator().manual_seed(SEED)
        coarse = torch.randn(count, 3, max(h // 16, 1), max(w // 16, 1), generator=g)
        return F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)


def calibration_input(shape, image_dir):
    if len(shape) == 4 and shape[1] == 3:
        return load_photos(image_dir, shape[2], shape[3], 8)
    g = torch.Generator().manual_seed(SEED)
    return torch.rand((8,) + tuple(shape[1:]), generator=g)


def calibrate(model, x):
    """BatchNorm running statistics from x (cumulative average over a few passes), then eval mode."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if bns:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(x)
    model.eval()
    return len(bns)


def reinit_small(model, std=0.02):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def outputs_of(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def export(name, out_dir, image_dir):
    builder, shape, what = ZOO[name][:3]
    opset = ZOO[name][3] if len(ZOO[name]) > 3 else OPSET
    torch.manual_seed(SEED)
    model = builder()
    x_cal = calibration_input(shape, image_dir)
    n_bn = calibrate(model, x_cal)
    x = x_cal[: shape[0]].clone() if x_cal.shape[1:] == torch.Size(shape[1:]) else torch.rand(shape)
    with torch.no_grad():
        ys = outputs_of(model(x))
    peak = max(float(y.abs().max()) for y in ys)
    finite = all(bool(torch.isfinite(y).all()) for y in ys)
    note = f"BatchNorm statistics calibrated ({n_bn} layers)" if n_bn else "no BatchNorm"
    if not finite or peak > MAX_OUTPUT:
        print(f"  {name}: outputs {'not finite' if not finite else f'up to {peak:.3g}'}; re-drawing conv/linear "
              f"weights from N(0, 0.02) and calibrating again")
        torch.manual_seed(SEED)
        reinit_small(model)
        calibrate(model, x_cal)
        with torch.no_grad():
            ys = outputs_of(model(x))
        peak = max(float(y.abs().max()) for y in ys)
        note += "; weights re-drawn from N(0, 0.02)"
    if peak < MIN_OUTPUT:
        last = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))][-1]
        scale = 4.0 / max(peak, 1e-12)
        with torch.no_grad():
            last.weight.mul_(scale)
            if last.bias is not None:
                last.bias.mul_(scale)
            ys = outputs_of(model(x))
        note += f"; outputs up to {peak:.3g}, last layer scaled by {scale:.3g}"
        peak = max(float(y.abs().max()) for y in ys)
    path = os.path.join(out_dir, name + ".onnx")
    tmp = path + ".tmp"
    names = ["output"] if len(ys) == 1 else [f"output{i}" for i in range(len(ys))]
    with torch.no_grad():
        torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"], output_names=names,
                          do_constant_folding=True)
    os.replace(tmp, path)
    shapes = ", ".join(str(list(y.shape)) for y in ys)
    print(f"  {name} (opset {opset}): input {list(shape)} -> {shapes}, max |output| {peak:.3g} in PyTorch; {note}; "
          f"{os.path.getsize(path) / 1e6:.1f} MB")


def stamp_text():
    with open(__file__, "rb") as f:
        src = hashlib.sha256(f.read()).hexdigest()
    import torchvision
    return f"{src} torch {torch.__version__} torchvision {torchvision.__version__} opset {OPSET}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--images", default=os.path.join(os.path.dirname(__file__), "..", ".cache", "images"))
    ap.add_argument("--force", action="store_true", help="export every model again")
    ap.add_argument("--only", nargs="*", help="export only these models")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    stamp_path = os.path.join(args.out_dir, ".stamp")
    stamp = stamp_text()
    # A changed script or PyTorch writes different models: export everything again then.
    old = open(stamp_path).read() if os.path.exists(stamp_path) else ""
    force = args.force or old != stamp
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    print(f"export_zoo: torch {torch.__version__}, opset {OPSET}, seed {SEED}, into {args.out_dir}")
    failed = 0
    for name in (args.only or ZOO):
        if name not in ZOO:
            print(f"  {name}: unknown model (known: {', '.join(ZOO)})")
            failed += 1
            continue
        if not force and os.path.exists(os.path.join(args.out_dir, name + ".onnx")):
            print(f"  {name}: present")
            continue
        try:
            export(name, args.out_dir, args.images)
        except LookupError as e:
            print(f"  {name}: skipped, {e}")
        except Exception as e:   # noqa: BLE001 - report and go on with the other models
            print(f"  {name}: export FAILED: {type(e).__name__}: {e}")
            failed += 1
    if failed == 0 and not args.only:
        with open(stamp_path, "w") as f:
            f.write(stamp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
