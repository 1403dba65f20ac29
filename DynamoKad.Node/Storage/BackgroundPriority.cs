using System.Runtime.InteropServices;

namespace DynamoKad.Storage;

/// <summary>
/// Lowers the CPU and I/O priority of the calling thread (Linux: nice 10 and the lowest best-effort
/// I/O priority). The checkpoint runs this way so that, on a busy machine, SQLite work yields to the
/// flusher and the writers it would otherwise slow; it catches up whenever they idle. Elsewhere a no-op.
/// </summary>
internal static class BackgroundPriority
{
    private const int PrioProcess = 0;
    private const int Nice = 10;
    private const long SysGettid = 186; // x86_64
    private const long SysIoprioSet = 251; // x86_64
    private const int IoprioWhoProcess = 1;
    private const int IoprioClassBestEffort = 2;
    private const int IoprioClassShift = 13;
    private const int LowestBestEffortLevel = 7;

    public static void LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return;
        }

        try
        {
            var tid = (int)Native.Syscall(SysGettid);
            _ = Native.SetPriority(PrioProcess, tid, Nice);
            _ = Native.Syscall(SysIoprioSet, IoprioWhoProcess, tid, (IoprioClassBestEffort << IoprioClassShift) | LowestBestEffortLevel);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Priorities are an optimisation only.
        }
    }

    private static class Native
    {
        private const string Libc = "libc.so.6";

        [DllImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        public static extern long Syscall(long number);

        [DllImport(Libc, EntryPoint = "syscall", SetLastError = true)]
        public static extern long Syscall(long number, int which, int who, int ioprio);

        [DllImport(Libc, EntryPoint = "setpriority", SetLastError = true)]
        public static extern int SetPriority(int which, int who, int priority);
    }
}
