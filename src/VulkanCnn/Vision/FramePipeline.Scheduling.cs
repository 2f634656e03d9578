// FramePipeline's scheduling: when an inference starts or runs its next layers (budget), the two-batch submission, completion polled.
using Silk.NET.Vulkan;
using VulkanCnn.Vulkan;
using Semaphore = Silk.NET.Vulkan.Semaphore;

namespace VulkanCnn.Vision;

public sealed unsafe partial class FramePipeline
{
    // ---------------------------------------------------------------------------------------------- per frame

    private long SubmitFrame(RenderFrame? frame, PixelFormat format, ReadOnlySpan<byte> cpu)
    {
        var vk = _ctx.Vk;
        double now = _clock.Elapsed.TotalSeconds;
        if (_lastSubmitS >= 0 && now > _lastSubmitS)
        {
            double inst = 1 / (now - _lastSubmitS);
            _fps = _fps == 0 ? inst : 0.9 * _fps + 0.1 * inst;
        }
        _lastSubmitS = now;

        PollInference();
        long number = ++_frameNumber;
        int slot = (int)(number % Slots);
        WaitSlot(slot);
        if (frame == null) cpu.CopyTo(new Span<byte>(_raw[slot].Mapped, cpu.Length));

        bool due = number % _options.EveryNthFrame == 0;
        bool start = due && !_inferActive;
        if (due && _inferActive) _skipped++;
        if (start)
        {
            _inferActive = true;
            _inferFrameNumber = number;
            _inferred++;
            _layerNext = 0;
            // Budget mode runs the whole network once first to measure its layers (without timestamps: a layer a frame).
            _inferFull = _options.GpuBudgetMs == null || (!_measured && _timed) || _session.LayerCount == 0;
        }
        // Layers of a budgeted inference go on once the previous frame's share has finished.
        bool layered = _inferActive && !_inferFull && !_inferPending;
        int layerFrom = _layerNext, layerTo = layerFrom;
        if (layered)
        {
            int n = _session.LayerCount;
            if (_layerMs == null) layerTo = layerFrom + 1;
            else
            {
                double sum = _layerMs[layerTo++];
                while (layerTo < n && sum + _layerMs[layerTo] <= _options.GpuBudgetMs!.Value) sum += _layerMs[layerTo++];
            }
            layerTo = Math.Min(layerTo, n);
        }

        // Record the frame's command buffer.
        _scene.Clear();
        if (_options.Overlay && Latest != null) _task.Draw(Latest, _scene);
        if (_hud != null)
        {
            // Formatting the text allocates: refresh it a few times a second, draw the laid-out labels every frame.
            if (now - _hudUpdatedS >= 0.25)
            {
                _hud.Update(new HudStats(_fps, null, _uploadMs, _preprocessMs, _inferenceMs, _postprocessMs, _overlayMs));
                _hudUpdatedS = now;
            }
            _hud.Draw(_scene);
        }
        var cmd = _frameCmds[slot];
        RecordFrame(cmd, slot, frame, format, start);

        // Batch 0: the frame. Batch 1: the inference share, if any.
        var cmds = stackalloc CommandBuffer[8];
        int nInfer = 0;
        if (start && _inferFull)
        {
            cmds[nInfer++] = _inferBegin; cmds[nInfer++] = _session.Command; cmds[nInfer++] = _inferMid;
            cmds[nInfer++] = _postCmd; cmds[nInfer++] = _inferEnd;
        }
        bool lastShare = false;
        var layerCmds = layered ? stackalloc CommandBuffer[layerTo - layerFrom + 3] : default;
        if (layered)
        {
            int k = 0;
            for (int l = layerFrom; l < layerTo; l++) layerCmds[k++] = _session.LayerCommand(l);
            lastShare = layerTo == _session.LayerCount;
            if (lastShare) { layerCmds[k++] = _postBegin; layerCmds[k++] = _postCmd; layerCmds[k++] = _inferEnd; }
            layerCmds = layerCmds[..k];
            _layerNext = layerTo;
        }
        bool inferBatch = (start && _inferFull) || layered;

        var waitStage = PipelineStageFlags.TransferBit;
        var waitSem = frame?.WaitSemaphore ?? default;
        var signals = stackalloc Semaphore[2];
        var signalValues = stackalloc ulong[2];
        int nSignals = 0;
        if (frame != null && frame.SignalSemaphore.Handle != 0) { signals[nSignals] = frame.SignalSemaphore; signalValues[nSignals++] = frame.SignalValue; }
        ulong frameValue = ++_frameSeq;
        if (_timeline) { signals[nSignals] = _frameTimeline; signalValues[nSignals++] = frameValue; }
        ulong waitValue = frame?.WaitValue ?? 0;
        var frameTl = new TimelineSemaphoreSubmitInfo
        {
            SType = StructureType.TimelineSemaphoreSubmitInfo,
            WaitSemaphoreValueCount = waitSem.Handle != 0 ? 1u : 0u, PWaitSemaphoreValues = &waitValue,
            SignalSemaphoreValueCount = (uint)nSignals, PSignalSemaphoreValues = signalValues,
        };
        var batches = stackalloc SubmitInfo[2];
        batches[0] = new SubmitInfo
        {
            SType = StructureType.SubmitInfo,
            PNext = _ctx.TimelineSemaphores ? &frameTl : null,
            WaitSemaphoreCount = waitSem.Handle != 0 ? 1u : 0u, PWaitSemaphores = &waitSem, PWaitDstStageMask = &waitStage,
            CommandBufferCount = 1, PCommandBuffers = &cmd,
            SignalSemaphoreCount = (uint)nSignals, PSignalSemaphores = signals,
        };
        ulong inferValue = 0;
        var inferSem = _inferTimeline;
        var inferTl = new TimelineSemaphoreSubmitInfo { SType = StructureType.TimelineSemaphoreSubmitInfo, SignalSemaphoreValueCount = 1, PSignalSemaphoreValues = &inferValue };
        fixed (CommandBuffer* pl = layerCmds)
        {
            if (inferBatch)
            {
                inferValue = ++_inferSeq;
                batches[1] = new SubmitInfo
                {
                    SType = StructureType.SubmitInfo,
                    CommandBufferCount = layered ? (uint)layerCmds.Length : (uint)nInfer,
                    PCommandBuffers = layered ? pl : cmds,
                };
                if (_timeline) { batches[1].PNext = &inferTl; batches[1].SignalSemaphoreCount = 1; batches[1].PSignalSemaphores = &inferSem; }
            }
            if (_timeline)
            {
                _ctx.QueueSubmit(batches, inferBatch ? 2u : 1u, default);
            }
            else
            {
                var f = _frameFences[slot];
                vk.ResetFences(_ctx.Device, 1, &f).Check("vkResetFences");
                _ctx.QueueSubmit(batches, 1, f);
                if (inferBatch)
                {
                    var g = _inferFence;
                    vk.ResetFences(_ctx.Device, 1, &g).Check("vkResetFences");
                    _ctx.QueueSubmit(batches + 1, 1, g);
                }
            }
        }
        _slotValue[slot] = frameValue;
        _slotBusy[slot] = true;
        _slotStamped[slot] = _timed;
        _slotPreprocessed[slot] = start;
        _slotDrawn[slot] = _scene.Boxes.Count + _scene.Points.Count + _scene.Segments.Count + _scene.Labels.Count > 0 || _scene.Mask != null;
        _lastSlot = slot;
        if (inferBatch) _inferPending = true;
        return number;
    }

    // ---------------------------------------------------------------------------------------------- completion

    private bool SlotDone(int slot)
    {
        if (!_slotBusy[slot]) return true;
        if (_timeline)
        {
            ulong v;
            _ctx.Vk.GetSemaphoreCounterValue(_ctx.Device, _frameTimeline, &v).Check("vkGetSemaphoreCounterValue");
            return v >= _slotValue[slot];
        }
        var r = _ctx.Vk.GetFenceStatus(_ctx.Device, _frameFences[slot]);
        if (r == Result.NotReady) return false;
        r.Check("vkGetFenceStatus");
        return true;
    }

    /// <summary>Waits until the frame in <paramref name="slot"/> has completed and collects its timings.</summary>
    private void WaitSlot(int slot)
    {
        if (!_slotBusy[slot]) return;
        if (!SlotDone(slot))
        {
            const ulong timeoutNs = 120UL * 1_000_000_000UL;
            if (_timeline)
            {
                var sem = _frameTimeline;
                ulong value = _slotValue[slot];
                var wi = new SemaphoreWaitInfo { SType = StructureType.SemaphoreWaitInfo, SemaphoreCount = 1, PSemaphores = &sem, PValues = &value };
                var r = _ctx.Vk.WaitSemaphores(_ctx.Device, &wi, timeoutNs);
                if (r == Result.Timeout) throw new VulkanException("vkWaitSemaphores timed out after 120 s: the GPU did not finish the frame.", r, "vkWaitSemaphores");
                r.Check("vkWaitSemaphores");
            }
            else _ctx.WaitFence(_frameFences[slot]);
        }
        _slotBusy[slot] = false;
        if (_slotStamped[slot] && ReadStamps(_frameQueries, (uint)(slot * FrameQueries), FrameQueries))
        {
            double p = _ctx.DeviceInfo.TimestampPeriodNs / 1e6;
            _uploadMs = (_stamps[1] - _stamps[0]) * p;
            if (_slotPreprocessed[slot]) _preprocessMs = (_stamps[2] - _stamps[1]) * p;
            _overlayMs = (_stamps[4] - _stamps[2]) * p;
        }
    }

    private bool InferenceDone()
    {
        if (_timeline)
        {
            ulong v;
            _ctx.Vk.GetSemaphoreCounterValue(_ctx.Device, _inferTimeline, &v).Check("vkGetSemaphoreCounterValue");
            return v >= _inferSeq;
        }
        var r = _ctx.Vk.GetFenceStatus(_ctx.Device, _inferFence);
        if (r == Result.NotReady) return false;
        r.Check("vkGetFenceStatus");
        return true;
    }

    private bool PollInference()
    {
        if (!_inferPending || !InferenceDone()) return false;
        _inferPending = false;
        bool finished = _inferFull || _layerNext >= _session.LayerCount;
        if (!finished) return false;
        _inferActive = false;
        double p = _ctx.DeviceInfo.TimestampPeriodNs / 1e6;
        if (_inferFull)
        {
            _session.CompleteRun();
            if (_timed && ReadStamps(_inferQueries, 0, InferQueries))
            {
                _inferenceMs = (_stamps[1] - _stamps[0]) * p;
                _postprocessMs = (_stamps[2] - _stamps[1]) * p;
            }
            var times = _session.LastLayerTimes;
            if (_options.GpuBudgetMs != null && !_measured)
            {
                _measured = true;
                if (times.Count == _session.LayerCount) _layerMs = times.Select(t => Math.Max(0, t.Milliseconds)).ToArray();
            }
        }
        else
        {
            if (_layerMs != null) _inferenceMs = _layerMs.Sum();
            if (_timed && ReadStamps(_inferQueries, 1, 2)) _postprocessMs = (_stamps[1] - _stamps[0]) * p;
        }
        Latest = _task.ReadResult(_inferFrameNumber, _pre.Transform);
        return true;
    }

    private bool ReadStamps(QueryPool pool, uint first, uint count)
    {
        fixed (ulong* s = _stamps)
        {
            var r = _ctx.Vk.GetQueryPoolResults(_ctx.Device, pool, first, count, (nuint)(count * 8), s, 8, QueryResultFlags.Result64Bit);
            if (r == Result.NotReady) return false;
            r.Check("vkGetQueryPoolResults");
        }
        return true;
    }
}
