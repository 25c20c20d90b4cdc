namespace Rekey.Server.Audit;

/// <summary>Endpoint metadata: the audited action of a write endpoint (<see cref="Changes"/> reads it).</summary>
internal sealed record AuditedAction(string Name);

internal static class AuditedActionExtensions
{
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AuditedAction(action));
}
