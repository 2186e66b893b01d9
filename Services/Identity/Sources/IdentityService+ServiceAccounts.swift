import Foundation
import ORDPAuth
public import ORDPIdentityAPI
public import ORDPRPC

extension IdentityService {
  public func createServiceAccount(
    request: Ordp_Identity_V1_CreateServiceAccountRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_ServiceAccount {
    try Validation.organisationID(request.organisationID, field: "organisation_id")
    let principal = try requireAdmin(of: request.organisationID, context)
    _ = try await activeOrganisation(request.organisationID, field: "organisation_id")
    let name = try Validation.username(request.name, field: "name")
    let description = request.description_p.trimmingCharacters(in: .whitespacesAndNewlines)
    if description.count > 1000 {
      throw Validation.invalid("description", "must be at most 1000 characters")
    }
    let account = ServiceAccountRecord(
      id: "sa-" + UUID().uuidString.lowercased(), organisationID: request.organisationID,
      name: name, description: description, createdAt: now)
    try await store.insertServiceAccount(
      account,
      audit: audit(
        context, principal, "serviceaccount.create", target: account.subject,
        organisations: [account.organisationID], detail: name))
    return account.wire
  }

  public func listServiceAccounts(
    request: Ordp_Identity_V1_ListServiceAccountsRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_ListServiceAccountsResponse {
    try Validation.organisationID(request.organisationID, field: "organisation_id")
    _ = try requireAdmin(of: request.organisationID, context)
    var response = Ordp_Identity_V1_ListServiceAccountsResponse()
    response.serviceAccounts = try await store.serviceAccounts(
      inOrganisation: request.organisationID
    ).map(\.wire)
    return response
  }

  /// A service account whose organisation the caller administers, or NOT_FOUND.
  func administeredAccount(
    _ id: String, _ principal: Principal, field: String
  ) async throws
    -> ServiceAccountRecord
  {
    let id = try Validation.required(id, field: field)
    guard let account = try await store.serviceAccount(id: id),
      principal.isAdmin(of: account.organisationID)
    else { throw RPCError(.notFound, "service account \(id) not found") }
    return account
  }

  public func createApiKey(
    request: Ordp_Identity_V1_CreateApiKeyRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_CreateApiKeyResponse
  {
    let principal = try context.requirePrincipal()
    let account = try await administeredAccount(
      request.serviceAccountID, principal, field: "service_account_id")
    _ = try await activeOrganisation(account.organisationID, field: "service_account_id")
    if request.scopes.count > Scope.allCases.count * 4 {
      throw Validation.invalid("scopes", "at most \(Scope.allCases.count * 4) entries")
    }
    let scopes = try Validation.scopes(request.scopes, field: "scopes")
    if scopes.isEmpty { throw Validation.invalid("scopes", "give at least one scope") }
    if !principal.isPlatformAdmin, principal.kind == .service,
      let missing = scopes.first(where: { !principal.scopes.contains($0) })
    {
      throw RPCError(
        .permissionDenied, "a service account cannot grant \(missing.rawValue) it lacks")
    }
    let at = now
    if request.expiresAtMicros != 0, request.expiresAtMicros <= at {
      throw Validation.invalid("expires_at_micros", "must be in the future (or 0 for never)")
    }
    let id = String(
      Self.randomSecret(bytes: 9).lowercased().filter { $0.isLetter || $0.isNumber }.prefix(10))
    let secret = Self.randomSecret()
    let key = APIKeyRecord(
      id: id, serviceAccountID: account.id, organisationID: account.organisationID,
      secretHash: Self.sha256(secret), scopes: scopes, createdAt: at,
      expiresAt: request.expiresAtMicros == 0 ? nil : request.expiresAtMicros, revokedAt: nil,
      lastUsedAt: nil)
    try await store.insertAPIKey(
      key,
      audit: audit(
        context, principal, "apikey.create", target: "apikey:\(id)",
        organisations: [account.organisationID],
        detail: "\(account.subject) " + scopes.map(\.rawValue).joined(separator: " ")))
    var response = Ordp_Identity_V1_CreateApiKeyResponse()
    response.key = key.wire
    response.secret = "ordpk_\(id)_\(secret)"
    return response
  }

  public func listApiKeys(
    request: Ordp_Identity_V1_ListApiKeysRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_ListApiKeysResponse
  {
    let principal = try context.requirePrincipal()
    let account = try await administeredAccount(
      request.serviceAccountID, principal, field: "service_account_id")
    var response = Ordp_Identity_V1_ListApiKeysResponse()
    response.keys = try await store.apiKeys(serviceAccountID: account.id).map(\.wire)
    return response
  }

  public func revokeApiKey(
    request: Ordp_Identity_V1_RevokeApiKeyRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_ApiKey
  {
    let principal = try context.requirePrincipal()
    let id = try Validation.required(request.id, field: "id")
    guard let key = try await store.apiKey(id: id), principal.isAdmin(of: key.organisationID) else {
      throw RPCError(.notFound, "API key \(id) not found")
    }
    return try await store.revokeAPIKey(
      id: id, at: now, revocationExpiry: revocationExpiry,
      audit: audit(
        context, principal, "apikey.revoke", target: "apikey:\(id)",
        organisations: [key.organisationID])
    ).wire
  }

  public func queryAudit(
    request: Ordp_Identity_V1_QueryAuditRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_QueryAuditResponse
  {
    let principal = try context.requirePrincipal()
    if request.organisationID.isEmpty {
      guard principal.isPlatformAdmin else {
        throw Validation.invalid("organisation_id", "is required unless you are a platform admin")
      }
    } else {
      try Validation.organisationID(request.organisationID, field: "organisation_id")
      _ = try requireAdmin(of: request.organisationID, context)
    }
    if request.fromMicros != 0, request.toMicros != 0, request.fromMicros >= request.toMicros {
      throw Validation.invalid("to_micros", "must be after from_micros")
    }
    var before: Int64?
    if !request.pageToken.isEmpty {
      guard request.pageToken.utf8.count <= 20, let value = Int64(request.pageToken), value > 0
      else {
        throw Validation.invalid("page_token", "malformed page token")
      }
      before = value
    }
    let size = Validation.pageSize(request.pageSize, defaultSize: 100, maximum: 1000)
    let records = try await store.queryAudit(
      AuditQuery(
        organisationID: request.organisationID.isEmpty ? nil : request.organisationID,
        actor: request.actor.isEmpty ? nil : String(request.actor.prefix(300)),
        from: request.fromMicros == 0 ? nil : request.fromMicros,
        to: request.toMicros == 0 ? nil : request.toMicros, before: before, limit: size + 1))
    var response = Ordp_Identity_V1_QueryAuditResponse()
    response.events = records.prefix(size).map(\.wire)
    if records.count > size, let last = records.prefix(size).last {
      response.nextPageToken = String(last.sequence)
    }
    return response
  }
}
