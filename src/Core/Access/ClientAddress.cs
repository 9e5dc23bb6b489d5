using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace NpsTriggers.Core.Access;

/// <summary>
/// The client a request is counted against: its IPv4 address, or its IPv6 /64 network (one subscriber usually holds a
/// whole /64, so single addresses would let one client rotate past any limit). Behind a proxy this is the address the
/// forwarded-headers middleware took from <c>X-Forwarded-For</c>, which it trusts only from <c>Http:TrustedProxies</c>.
/// </summary>
public static class ClientAddress
{
    public static string Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
            return "unknown";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
