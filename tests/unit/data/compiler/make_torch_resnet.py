# Makes torch_resnet.onnx (a fixture of tests/unit/test_compiler.cpp) and prints
# its logits for three fixed images, which the test checks.
# Run: cd tests/unit/data/compiler && /usr/bin/python3 make_torch_resnet.py
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); s.b1 = nn.BatchNorm2d(cout)
        s.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); s.b2 = nn.BatchNorm2d(cout)
        s.sc = None
        if stride != 1 or cin != cout:
            s.sc = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    def forward(s, x):
        y = F.relu(s.b1(s.c1(x)))
        y = s.b2(s.c2(y))
        return F.relu(y + (x if s.sc is None else s.sc(x)))
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Conv2d(1, 8, 3, 1, 1); s.bn = nn.BatchNorm2d(8)
        s.l1 = Block(8, 8, 1); s.l2 = Block(8, 16, 2)
        s.pool = nn.AvgPool2d(2)
        s.fc = nn.Linear(16, 10)
    def forward(s, x):
        x = F.relu(s.bn(s.stem(x)))
        x = s.l2(s.l1(x))
        x = s.pool(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return s.fc(x)
m = Net()
for mod in m.modules():
    if isinstance(mod, nn.BatchNorm2d):
        mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 2); mod.weight.data.uniform_(0.5,1.5); mod.bias.data.uniform_(-0.2,0.2)
m.eval()
x = torch.rand(1,1,28,28)
# PyTorch 1.13 (Debian python3-torch), opset 13, dynamic batch: BN folded,
# AvgPool2d exported as Pad + AveragePool, x.view(x.size(0), -1) as Shape/Gather/...
for fold in (True,):
    torch.onnx.export(m, x, "torch_resnet.onnx", input_names=["input"], output_names=["logits"], opset_version=13, do_constant_folding=fold, dynamic_axes={"input":{0:"N"},"logits":{0:"N"}})
import numpy as np
imgs = (np.arange(3*784) * 37 % 256).astype(np.uint8).reshape(3,1,28,28)
with torch.no_grad():
    print(m(torch.tensor(imgs/255.0, dtype=torch.float32)).numpy())
