using System.Net;
using Overlay.Protocol.Routing;

namespace Overlay.Protocol.Tests.Routing;

public sealed class PrefixMapTests
{
    /// <summary>
    /// Regression (issue 15, 130,560 allowed IPs): every Add rebuilt the list of prefix lengths in use,
    /// a list and an array per prefix (~30 MB of garbage for a 130,560-prefix table). A prefix of a
    /// length already present, into a dictionary with room, now allocates nothing.
    /// </summary>
    [Fact]
    public void Add_PrefixOfALengthAlreadyPresent_AllocatesNothing()
    {
        var warm = new PrefixMap();
        warm.Add(IPNetwork.Parse("198.18.0.1/32"), 0);
        warm.Add(IPNetwork.Parse("198.18.0.2/32"), 1);
        var map = new PrefixMap();
        map.Add(IPNetwork.Parse("198.18.1.1/32"), 0);   // creates the /32 dictionary (room for 3)
        IPNetwork second = IPNetwork.Parse("198.18.1.2/32");

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool added = map.Add(second, 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(added);
        Assert.Equal(0, allocated);
        Assert.Equal(1, map.Lookup([198, 18, 1, 2]));
    }
}
