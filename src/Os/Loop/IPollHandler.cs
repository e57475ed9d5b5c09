namespace Overlay.Os.Loop;

/// <summary>
/// Called on the loop thread when a registered fd is readable, or when poll reports
/// POLLERR/POLLHUP/POLLNVAL for it (the handler's next read sees the error). A handler
/// drains what it can without blocking and returns.
/// </summary>
public interface IPollHandler
{
    void OnReadable();
}
