using System.Globalization;

namespace Rekey.Server.Http;

/// <summary>Path IDs: a service ID that is not a number names no service (404, not 400).</summary>
internal static class RouteIds
{
    public static bool TryParse(string? text, out long id) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
