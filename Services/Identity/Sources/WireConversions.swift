import ORDPAuth
import ORDPIdentityAPI

extension OrganisationRecord {
  var wire: Ordp_Identity_V1_Organisation {
    var wire = Ordp_Identity_V1_Organisation()
    wire.id = id
    wire.displayName = displayName
    wire.kind = kind == .pioneer ? .pioneer : .joining
    wire.active = active
    wire.createdAtMicros = createdAt
    wire.municipalityKey = municipalityKey ?? ""
    return wire
  }
}

extension MemberRole {
  var wire: Ordp_Identity_V1_Role {
    switch self {
    case .viewer: .viewer
    case .editor: .editor
    case .admin: .admin
    case .service: .unspecified
    }
  }
}

extension UserRecord {
  var wire: Ordp_Identity_V1_User {
    var wire = Ordp_Identity_V1_User()
    wire.id = id
    wire.username = username
    wire.displayName = displayName
    wire.email = email
    wire.memberships = memberships.map { membership in
      var entry = Ordp_Identity_V1_Membership()
      entry.organisationID = membership.organisationID
      entry.role = membership.role.wire
      return entry
    }
    wire.platformAdmin = platformAdmin
    wire.disabled = disabled
    wire.createdAtMicros = createdAt
    return wire
  }
}

extension ServiceAccountRecord {
  var wire: Ordp_Identity_V1_ServiceAccount {
    var wire = Ordp_Identity_V1_ServiceAccount()
    wire.id = id
    wire.organisationID = organisationID
    wire.name = name
    wire.description_p = description
    wire.createdAtMicros = createdAt
    return wire
  }
}

extension APIKeyRecord {
  var wire: Ordp_Identity_V1_ApiKey {
    var wire = Ordp_Identity_V1_ApiKey()
    wire.id = id
    wire.serviceAccountID = serviceAccountID
    wire.organisationID = organisationID
    wire.scopes = scopes.map(\.rawValue)
    wire.createdAtMicros = createdAt
    wire.expiresAtMicros = expiresAt ?? 0
    wire.revokedAtMicros = revokedAt ?? 0
    wire.lastUsedAtMicros = lastUsedAt ?? 0
    return wire
  }
}

extension AuditRecord {
  var wire: Ordp_Identity_V1_AuditEvent {
    var wire = Ordp_Identity_V1_AuditEvent()
    wire.sequence = sequence
    wire.atMicros = at
    wire.actor = actor
    wire.action = action
    wire.target = target
    wire.outcome = outcome
    wire.organisationIds = organisations
    wire.source = source
    wire.detail = detail
    return wire
  }
}
