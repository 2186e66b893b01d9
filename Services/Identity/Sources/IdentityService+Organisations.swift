import ORDPAuth
public import ORDPIdentityAPI
public import ORDPRPC

extension IdentityService {
  public func listOrganisations(
    request: Ordp_Identity_V1_ListOrganisationsRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_ListOrganisationsResponse {
    var response = Ordp_Identity_V1_ListOrganisationsResponse()
    response.organisations = try await store.organisations(
      includeInactive: request.includeInactive
    ).map(\.wire)
    return response
  }

  public func getOrganisation(
    request: Ordp_Identity_V1_GetOrganisationRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_Organisation {
    try Validation.organisationID(request.id, field: "id")
    guard let organisation = try await store.organisation(id: request.id) else {
      throw RPCError(.notFound, "organisation \(request.id) not found")
    }
    return organisation.wire
  }

  public func createOrganisation(
    request: Ordp_Identity_V1_CreateOrganisationRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_Organisation {
    let principal = try requirePlatformAdmin(context)
    try Validation.organisationID(request.id, field: "id")
    let name = try Validation.required(request.displayName, field: "display_name")
    let kind: OrganisationRecord.Kind
    switch request.kind {
    case .pioneer: kind = .pioneer
    case .joining, .unspecified: kind = .joining
    default: throw Validation.invalid("kind", "unknown organisation kind \(request.kind.rawValue)")
    }
    try Validation.municipalityKey(request.municipalityKey, field: "municipality_key")
    let organisation = OrganisationRecord(
      id: request.id, displayName: name, kind: kind, active: true, createdAt: now,
      municipalityKey: request.municipalityKey.isEmpty ? nil : request.municipalityKey)
    try await store.insertOrganisation(
      organisation,
      audit: audit(
        context, principal, "organisation.create", target: "organisation:\(organisation.id)",
        organisations: [organisation.id], detail: name))
    return organisation.wire
  }

  public func setOrganisationActive(
    request: Ordp_Identity_V1_SetOrganisationActiveRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_Organisation {
    let principal = try requirePlatformAdmin(context)
    try Validation.organisationID(request.id, field: "id")
    let organisation = try await store.setOrganisationActive(
      id: request.id, active: request.active, revocationExpiry: revocationExpiry,
      audit: audit(
        context, principal, request.active ? "organisation.reactivate" : "organisation.deactivate",
        target: "organisation:\(request.id)", organisations: [request.id]))
    return organisation.wire
  }
}
