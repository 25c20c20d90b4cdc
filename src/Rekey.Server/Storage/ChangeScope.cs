using System.Globalization;

namespace Rekey.Server.Storage;

/// <summary>What a committed change may have made stale in a node's <see cref="VerificationCache"/>.</summary>
internal enum ChangeReach
{
    /// <summary>Anything (key rotation, re-encryption under a new key, an organisation-wide change).</summary>
    Everything,

    /// <summary>The service's document, and with its deletion its clients.</summary>
    Service,

    /// <summary>One client: its document, alias, lock state or secrets.</summary>
    Client,
}

/// <summary>
/// The reach of one committed change, as the store names it when it writes the change and as nodes tell each other
/// (PostgreSQL <c>NOTIFY</c> payload: <c>*</c>, <c>s:&lt;serviceId&gt;</c>, <c>c:&lt;clientId&gt;</c>).
/// </summary>
internal readonly record struct ChangeScope(ChangeReach Reach, long Id)
{
    public static readonly ChangeScope Everything = new(ChangeReach.Everything, 0);

    public static ChangeScope Service(long serviceId) => new(ChangeReach.Service, serviceId);

    public static ChangeScope Client(long clientId) => new(ChangeReach.Client, clientId);

    /// <summary>The narrowest scope an audited change of (service, client) reaches.</summary>
    public static ChangeScope Of(long? serviceId, long? clientId) =>
        clientId is { } c ? Client(c) : serviceId is { } s ? Service(s) : Everything;

    public string Payload => Reach switch
    {
        ChangeReach.Client => "c:" + Id.ToString(CultureInfo.InvariantCulture),
        ChangeReach.Service => "s:" + Id.ToString(CultureInfo.InvariantCulture),
        _ => "*",
    };

    /// <summary>
    /// Reads a payload; anything not understood is <see cref="Everything"/>: a node that cannot tell what changed forgets
    /// all it holds (a newer node's message, a damaged one).
    /// </summary>
    public static ChangeScope Parse(string payload) =>
        payload.Length > 2 && payload[1] == ':' && long.TryParse(payload.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? payload[0] switch
            {
                'c' => Client(id),
                's' => Service(id),
                _ => Everything,
            }
            : Everything;
}
