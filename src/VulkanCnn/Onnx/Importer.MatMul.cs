// Gemm and MatMul: a weight matrix becomes Dense (one row) or Linear (several rows); two run-time operands MatMul.
using VulkanCnn.Graph;
using VulkanCnn.Layers;
using VulkanCnn.Onnx.Proto;

namespace VulkanCnn.Onnx;

internal sealed partial class Importer
{
    private void GemmOp()
    {
        var a = RtIn(0);
        if (a.Dims.Length != 2) throw new ArgumentException($"A has shape [{string.Join(",", a.Dims)}]; Gemm needs a matrix.");
        if (AttrInt("transA", 0) != 0)
        {
            var t = _b.Add(new Layers.Transpose(1, 0), Unique(Out + "_at"), a.Node);
            a = new Rt(t, new[] { a.Dims[1], a.Dims[0] });
        }
        var bw = CstIn(1, "B");
        var c = OptCst(2, "C");
        float alpha = AttrFloat("alpha", 1f), beta = AttrFloat("beta", 1f);
        bool transB = AttrInt("transB", 0) != 0;
        if (bw.Dims.Length != 2) throw new ArgumentException($"B has shape [{string.Join(",", bw.Dims)}]; Gemm needs a matrix.");
        int n = a.Dims[1];
        int k = transB ? bw.Dims[0] : bw.Dims[1];
        int nb = transB ? bw.Dims[1] : bw.Dims[0];
        if (nb != n) throw new ArgumentException($"A has {n} columns but B ([{string.Join(",", bw.Dims)}], transB={(transB ? 1 : 0)}) has {nb} rows.");
        if (c != null && beta != 0 && c.V.Length != 1 && c.V.Length != k)
        {
            // A bias matrix [M, N]: the product, then a broadcast Add of C·beta.
            AddDense(a, DenseWeights(bw, transB, alpha), null, 0, k, Out + "_ab");
            var prod = (Rt)_vals[Out + "_ab"];
            var cc = new Cst(new OnnxTensor(_node.Input[2], c.Dims, true, c.V.Select(v => v * beta).ToArray()));
            var cn = ConstNode(_node.Input[2], cc, c.Dims);
            SetRt(new Binary(Layers.BinaryOp.Add), BroadcastDims(prod.Dims, c.Dims), prod.Node, cn);
            return;
        }
        AddDense(a, DenseWeights(bw, transB, alpha), c, beta, k);
    }

    private void MatMulOp()
    {
        if (In(0) is Rt a0 && In(1) is Cst bw && bw.Dims.Length == 2 && a0.Dims.Length >= 1 && Product(a0.Dims.Take(a0.Dims.Length - 1)) == 1)
        {
            // One row times a weight matrix: the matrix-vector kernel reads each weight once.
            if (bw.Dims[0] != a0.Dims[^1]) throw new ArgumentException($"A [{string.Join(",", a0.Dims)}] times B [{string.Join(",", bw.Dims)}]: inner sizes differ.");
            var row = a0.Dims.Length == 2 ? a0 : new Rt(_b.Add(new Reshape(new TensorShape(1, a0.Dims[^1])), Unique(Out + "_row"), a0.Node), new[] { 1, a0.Dims[^1] });
            var outDims = a0.Dims.Take(a0.Dims.Length - 1).Append(bw.Dims[1]).ToArray();
            AddDense(row, DenseWeights(bw, false, 1f), null, 0, bw.Dims[1], outDims.Length == 2 ? null : Out + "_dense");
            if (outDims.Length != 2) ReshapeTo((Rt)_vals[Out + "_dense"], outDims);
            return;
        }
        if (In(0) is Rt a1 && In(1) is Cst w2 && w2.Dims.Length == 2 && a1.Dims.Length >= 2)
        {
            // Rows times a weight matrix (a Linear layer on [..., K]): the convolution kernels do the work.
            if (w2.Dims[0] != a1.Dims[^1]) throw new ArgumentException($"A [{string.Join(",", a1.Dims)}] times B [{string.Join(",", w2.Dims)}]: inner sizes differ.");
            SetRt(new Linear { OutFeatures = w2.Dims[1], Weights = DenseWeights(w2, false, 1f) }, a1.Dims[..^1].Append(w2.Dims[1]).ToArray(), a1.Node);
            return;
        }
        RuntimeMatMul();
    }

    /// <summary>MatMul at any rank with numpy batch broadcasting; a constant operand becomes a constant node.</summary>
    private void RuntimeMatMul()
    {
        var a = RtIn(0);
        var b = RtIn(1);
        // The kernel reads one matrix per output batch item or one shared matrix: an operand that broadcasts along only
        // some of the batch axes ([2,1,K,N] against [1,3,M,K]) is expanded to the output's batch axes first.
        if (a.Dims.Length > 2 || b.Dims.Length > 2)
        {
            int[] Batch(int[] d) => d.Length > 2 ? d[..^2] : Array.Empty<int>();
            var ob = BroadcastDims(Batch(a.Dims), Batch(b.Dims));
            Rt Expanded(Rt v, string side)
            {
                long n = Product(Batch(v.Dims));
                if (n == 1 || n == Product(ob)) return v;
                var dims = ob.Concat(v.Dims[^2..]).ToArray();
                return new Rt(_b.Add(new Expand(new TensorShape(dims)), Unique(Out + "_expand_" + side), v.Node), dims);
            }
            a = Expanded(a, "a");
            b = Expanded(b, "b");
        }
        var plan = MatMul.Plan(new TensorShape(a.Dims), new TensorShape(b.Dims), _node.Name);
        SetRt(new MatMul(), plan.Output.ToArray(), a.Node, b.Node);
    }

    private static float[] DenseWeights(Cst b, bool transB, float alpha)
    {
        int r = b.Dims[0], c = b.Dims[1];
        var w = new float[r * c];
        if (transB) for (int i = 0; i < w.Length; i++) w[i] = (float)(alpha * b.V[i]);
        else
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++) w[j * r + i] = (float)(alpha * b.V[i * c + j]);   // [N][K] → [K][N]
        return w;
    }

    private void AddDense(Rt a, float[] w, Cst? c, float beta, int k, string? outName = null)
    {
        float[]? bias = null;
        if (c != null && beta != 0)
        {
            if (c.V.Length != 1 && c.V.Length != k) throw new UnsupportedException($"Gemm C of shape [{string.Join(",", c.Dims)}] for {k} outputs; one value or one per output is supported");
            bias = Enumerable.Range(0, k).Select(i => (float)(beta * c.V[c.V.Length == 1 ? 0 : i])).ToArray();
        }
        // One row: the matrix-vector kernel; several: a Linear layer on the convolution kernels.
        Layer layer = a.Dims[0] == 1 ? new Dense { OutFeatures = k, Weights = w, Bias = bias } : new Linear { OutFeatures = k, Weights = w, Bias = bias };
        var node = _b.Add(layer, Unique(outName ?? Out), a.Node);
        _vals[outName ?? Out] = new Rt(node, new[] { a.Dims[0], k });
    }
}
