/// How identity issues tokens and guards logins.
public struct IdentityConfiguration: Sendable {
  /// The `iss` of every token.
  public var issuer = "ordp-identity"
  /// The `aud` of every token: the platform.
  public var audience = "ordp"
  /// Lifetime of access tokens.
  public var accessTokenLifetime: Micros = 5 * 60 * 1_000_000
  /// Lifetime of a login session: its refresh tokens rotate until then, then the user logs in
  /// again.
  public var sessionLifetime: Micros = 12 * 3600 * 1_000_000
  /// Clock skew verifiers tolerate; retired keys and revocations are kept this much longer.
  public var leeway: Micros = 30 * 1_000_000
  /// A new signing key takes over after this long.
  public var signingKeyRotation: Micros = 30 * 24 * 3600 * 1_000_000
  public var scrypt = ScryptParameters.recommended
  public var throttle = LoginThrottlePolicy()

  public init() {}

  /// How long a revocation or a retired key must stay published.
  var publicationRetention: Micros { accessTokenLifetime + 2 * leeway }
}
