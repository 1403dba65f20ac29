using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DynamoKad.Storage;

/// <summary>
/// Flushing to stable storage. On Linux, fdatasync: the WAL writes into preallocated, already
/// written segments, so only data needs flushing, not the mtime that fsync would also commit through
/// the filesystem journal on every call. Elsewhere, <see cref="RandomAccess.FlushToDisk"/> (fsync).
/// </summary>
internal static class FileSync
{
    private const int ReadOnlyDirectoryFlags = 0x10000; // O_RDONLY | O_DIRECTORY on Linux
    private static bool _nativeUnavailable = !OperatingSystem.IsLinux();

    /// <summary>Makes the data written through <paramref name="handle"/> durable.</summary>
    public static void DataSync(SafeFileHandle handle)
    {
        if (!_nativeUnavailable)
        {
            try
            {
                var added = false;
                handle.DangerousAddRef(ref added);
                try
                {
                    if (Native.Fdatasync((int)handle.DangerousGetHandle()) != 0)
                    {
                        throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                finally
                {
                    if (added)
                    {
                        handle.DangerousRelease();
                    }
                }

                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _nativeUnavailable = true;
            }
        }

        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>
    /// Makes a directory's entries durable (a newly created or deleted file's name), on Linux; a no-op
    /// where directories cannot be opened.
    /// </summary>
    public static void SyncDirectory(string path)
    {
        if (_nativeUnavailable)
        {
            return;
        }

        try
        {
            var fd = Native.Open(path, ReadOnlyDirectoryFlags);
            if (fd < 0)
            {
                return;
            }

            try
            {
                _ = Native.Fsync(fd);
            }
            finally
            {
                _ = Native.Close(fd);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _nativeUnavailable = true;
        }
    }

    private static class Native
    {
        private const string Libc = "libc.so.6";

        [DllImport(Libc, EntryPoint = "fdatasync", SetLastError = true)]
        public static extern int Fdatasync(int fd);

        [DllImport(Libc, EntryPoint = "fsync", SetLastError = true)]
        public static extern int Fsync(int fd);

        [DllImport(Libc, EntryPoint = "open", SetLastError = true)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport(Libc, EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);
    }
}
