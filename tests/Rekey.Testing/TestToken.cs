namespace Rekey.Testing;

/// <summary>An API token as created (<see cref="TestApi.CreateApiTokenAsync"/>): its ID and its value, shown once. Its <see cref="ToString"/> never shows the value.</summary>
public sealed record TestToken(long TokenId, string Token)
{
    public override string ToString() => $"TestToken {{ TokenId = {TokenId} }}";
}
