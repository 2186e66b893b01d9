import Foundation
import ORDPAuth
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// The verification library as another service uses it: against the real identity over TLS.
@Suite struct VerificationLibraryTests {
  func verifier(_ channel: RPCChannel) -> AccessTokenVerifier {
    var configuration = AccessTokenVerifier.Configuration(issuer: "ordp-identity", audience: "ordp")
    configuration.revocationSyncInterval = .milliseconds(200)
    configuration.keyRefreshInterval = .milliseconds(50)
    return AccessTokenVerifier(
      configuration: configuration, source: RemoteIdentityKeySource(channel: channel))
  }

  @Test func apiKeysExchangeForScopedTokensThatServicesVerify() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let verifier = verifier(channel)
    let sync = Task { try await verifier.run() }
    defer { sync.cancel() }

    let root = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    _ = try await client.createUser("soest.admin2", in: "soest", role: .admin, token: root)
    let soest = try await client.login("soest.admin2", "Correct-Horse-Battery-7").accessToken
    var account = Ordp_Identity_V1_CreateServiceAccountRequest()
    account.organisationID = "soest"
    account.name = "erp-connector"
    let created = try await client.createServiceAccount(account, options: bearer(soest))
    var keyRequest = Ordp_Identity_V1_CreateApiKeyRequest()
    keyRequest.serviceAccountID = created.id
    keyRequest.scopes = ["catalogue:read", "catalogue:write"]
    let key = try await client.createApiKey(keyRequest, options: bearer(soest))
    #expect(key.secret.hasPrefix("ordpk_\(key.key.id)_"))
    var list = Ordp_Identity_V1_ListApiKeysRequest()
    list.serviceAccountID = created.id
    let listed = try await client.listApiKeys(list, options: bearer(soest)).keys
    #expect(listed.map(\.id) == [key.key.id])
    // Only the hash is stored: the secret never appears again.
    let secretPart = String(key.secret.split(separator: "_")[2])
    #expect(!(try listed[0].serializedData().base64EncodedString().contains(secretPart)))

    var exchange = Ordp_Identity_V1_ExchangeApiKeyRequest()
    exchange.apiKey = key.secret
    let token = try await client.exchangeApiKey(exchange)
    #expect(token.refreshToken.isEmpty)
    #expect(token.subject == "service:\(created.id)")
    let principal = try await verifier.verify(token.accessToken)
    #expect(principal.kind == .service)
    #expect(principal.may(.catalogueWrite, in: "soest"))
    #expect(!principal.may(.catalogueWrite, in: "arnsberg"))
    #expect(!principal.may(.analyticsIngest, in: "soest"))
    #expect(!principal.isAdmin(of: "soest"))

    exchange.scopes = ["catalogue:read"]
    let narrowed = try await verifier.verify(try await client.exchangeApiKey(exchange).accessToken)
    #expect(narrowed.scopes == [.catalogueRead])
    exchange.scopes = ["analytics:ingest"]
    let beyond = await statusOf { try await client.exchangeApiKey(exchange) }
    #expect(beyond?.code == .invalidArgument)
    exchange.scopes = []
    exchange.apiKey = key.secret.dropLast(2) + "xx"
    #expect(
      await statusOf { try await client.exchangeApiKey(exchange) }?.message == "invalid API key")
    exchange.apiKey = "ordpk_nokey_secret"
    #expect(
      await statusOf { try await client.exchangeApiKey(exchange) }?.message == "invalid API key")

    // Revoked: no new tokens, and issued ones stop within the sync interval.
    var revoke = Ordp_Identity_V1_RevokeApiKeyRequest()
    revoke.id = key.key.id
    #expect(try await client.revokeApiKey(revoke, options: bearer(soest)).revokedAtMicros > 0)
    exchange.apiKey = key.secret
    #expect(await statusOf { try await client.exchangeApiKey(exchange) }?.code == .unauthenticated)
    try await expectRevoked(verifier, token.accessToken)
  }

  @Test func theLibraryFollowsKeyRotationAndRevocation() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let verifier = verifier(channel)
    let sync = Task { try await verifier.run() }
    defer { sync.cancel() }

    let first = try await client.login("admin", IdentityProcess.adminPassword)
    let principal = try await verifier.verify(first.accessToken)
    #expect(principal.isPlatformAdmin && principal.name == "admin")
    #expect(principal.may(.identityAdmin, in: "olpe"))
    // Cached: the second verification gives the same answer.
    #expect(try await verifier.verify(first.accessToken) == principal)

    // A new signing key: the verifier learns it on first sight of its key id.
    _ = try await client.rotateSigningKey(.init(), options: bearer(first.accessToken))
    let second = try await client.login("admin", IdentityProcess.adminPassword)
    #expect(try await verifier.verify(second.accessToken).subject == principal.subject)
    #expect(try await verifier.verify(first.accessToken).subject == principal.subject)

    // Logout of the first session: refused within the bound, the second session unaffected.
    var logout = Ordp_Identity_V1_LogoutRequest()
    logout.refreshToken = first.refreshToken
    _ = try await client.logout(logout)
    try await expectRevoked(verifier, first.accessToken)
    #expect(try await verifier.verify(second.accessToken).subject == principal.subject)
  }
}

/// Waits (at most 3 s) until the verifier refuses `token` as revoked.
func expectRevoked(_ verifier: AccessTokenVerifier, _ token: String) async throws {
  for _ in 0..<60 {
    do {
      _ = try await verifier.verify(token)
    } catch {
      #expect(error.code == .unauthenticated && error.message.contains("revoked"))
      return
    }
    try await Task.sleep(for: .milliseconds(50))
  }
  Issue.record("the verifier still accepts the token 3 s after its revocation")
}
