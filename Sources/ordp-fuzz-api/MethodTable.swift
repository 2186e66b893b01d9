import Foundation
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import SwiftProtobuf

/// Every method the fuzzer calls, with valid requests to start mutating from.
struct FuzzMethod: Sendable {
  let descriptor: MethodDescriptor
  /// The request messages of one valid call, serialized (several for streaming requests).
  let templates: @Sendable (FuzzPlatform.Seeds) -> [[UInt8]]
  /// Whether the call may stream without end (a followed change feed): it ends at the
  /// fuzzer's deadline, which is then no failure.
  var endless = false

  init(
    _ descriptor: MethodDescriptor, endless: Bool = false,
    _ templates: @escaping @Sendable (FuzzPlatform.Seeds) -> [any Message]
  ) {
    self.descriptor = descriptor
    self.endless = endless
    self.templates = { seeds in templates(seeds).map { (try? $0.serializedBytes()) ?? [] } }
  }

  /// The name corpus files carry: "Service.Method".
  var name: String { "\(descriptor.service.split(separator: ".").last ?? "").\(descriptor.method)" }
}

enum MethodTable {
  typealias I = Ordp_Identity_V1_Identity.Method
  typealias C = Ordp_Catalogue_V1_Catalogue.Method
  typealias A = Ordp_Analytics_V1_Analytics.Method

  static let now: Int64 = 1_800_000_000_000_000
  static let hour: Int64 = 3_600_000_000

  static let all: [FuzzMethod] = identity + catalogue + analytics

  /// Every method of the three services that has no entry here (the fuzzer refuses to run
  /// then: a new method must come with its template).
  static var missing: [String] {
    let covered = Set(all.map(\.descriptor.path))
    return (I.all + C.all + A.all).map(\.path).filter { !covered.contains($0) }
  }

  /// Calls that read back everything stored, as the platform admin: what fuzzed writes left
  /// behind (extreme times, odd text, huge values) must not break an export, a feed, a
  /// search or an aggregate later.
  static let readBack: [FuzzMethod] = [
    FuzzMethod(C.export) { _ in [Ordp_Catalogue_V1_ExportRequest.with { $0.format = .turtle }] },
    FuzzMethod(C.export) { _ in [Ordp_Catalogue_V1_ExportRequest.with { $0.format = .jsonLd }] },
    FuzzMethod(C.watchChanges) { _ in [Ordp_Catalogue_V1_WatchChangesRequest()] },
    FuzzMethod(C.search) { _ in
      [
        Ordp_Catalogue_V1_SearchRequest.with {
          $0.facets = true
          $0.pageSize = 1000
          $0.sort = .modified
        }
      ]
    },
    FuzzMethod(A.listDatastreams) { _ in [Ordp_Analytics_V1_ListDatastreamsRequest()] },
    FuzzMethod(A.aggregate) { _ in
      [
        Ordp_Analytics_V1_AggregateRequest.with {
          $0.fromMicros = -3_000_000_000_000_000
          $0.toMicros = 5_000_000_000_000_000
          $0.bucket.calendar = .year
          $0.functions = [.count, .sum, .min, .max, .avg, .first, .last, .stddev, .p50, .p99]
          $0.partial = true
        }
      ]
    },
    FuzzMethod(A.readObservations) { _ in [Ordp_Analytics_V1_ReadObservationsRequest()] },
    FuzzMethod(A.latest) { _ in [Ordp_Analytics_V1_LatestRequest()] },
    FuzzMethod(I.queryAudit) { _ in [Ordp_Identity_V1_QueryAuditRequest()] },
  ]

  static let identity: [FuzzMethod] = [
    FuzzMethod(I.login) { _ in
      [
        Ordp_Identity_V1_LoginRequest.with {
          $0.username = "olpe.victim"
          $0.password = "wrong-password-guess"
        }
      ]
    },
    FuzzMethod(I.refresh) { seeds in
      [Ordp_Identity_V1_RefreshRequest.with { $0.refreshToken = seeds.refreshToken }]
    },
    FuzzMethod(I.logout) { seeds in
      [Ordp_Identity_V1_LogoutRequest.with { $0.refreshToken = seeds.refreshToken }]
    },
    FuzzMethod(I.exchangeApiKey) { seeds in
      [
        Ordp_Identity_V1_ExchangeApiKeyRequest.with {
          $0.apiKey = seeds.apiKeySecret
          $0.scopes = ["analytics:ingest"]
        }
      ]
    },
    FuzzMethod(I.getPublicKeys) { _ in [Ordp_Identity_V1_GetPublicKeysRequest()] },
    FuzzMethod(I.listRevocations) { _ in
      [Ordp_Identity_V1_ListRevocationsRequest.with { $0.afterSequence = 1 }]
    },
    FuzzMethod(I.rotateSigningKey) { _ in [Ordp_Identity_V1_RotateSigningKeyRequest()] },
    FuzzMethod(I.listOrganisations) { _ in
      [Ordp_Identity_V1_ListOrganisationsRequest.with { $0.includeInactive = true }]
    },
    FuzzMethod(I.getOrganisation) { _ in
      [Ordp_Identity_V1_GetOrganisationRequest.with { $0.id = "soest" }]
    },
    FuzzMethod(I.createOrganisation) { _ in
      [
        Ordp_Identity_V1_CreateOrganisationRequest.with {
          $0.id = "hemer"
          $0.displayName = "Stadt Hemer"
          $0.kind = .joining
        }
      ]
    },
    FuzzMethod(I.setOrganisationActive) { _ in
      [
        Ordp_Identity_V1_SetOrganisationActiveRequest.with {
          $0.id = "iserlohn"
          $0.active = true
        }
      ]
    },
    FuzzMethod(I.createUser) { _ in
      [
        Ordp_Identity_V1_CreateUserRequest.with {
          $0.username = "olpe.new"
          $0.displayName = "Neu"
          $0.email = "neu@olpe.de"
          $0.password = "A-Long-Enough-Password-1"
          $0.memberships = [
            .with {
              $0.organisationID = "olpe"; $0.role = .viewer
            }
          ]
        }
      ]
    },
    FuzzMethod(I.getUser) { seeds in
      [Ordp_Identity_V1_GetUserRequest.with { $0.id = seeds.victimUser }]
    },
    FuzzMethod(I.listUsers) { _ in
      [
        Ordp_Identity_V1_ListUsersRequest.with {
          $0.organisationID = "soest"
          $0.pageSize = 2
          $0.pageToken = Data("u:soest.a".utf8).base64EncodedString()
        }
      ]
    },
    FuzzMethod(I.setMembership) { seeds in
      [
        Ordp_Identity_V1_SetMembershipRequest.with {
          $0.userID = seeds.victimUser
          $0.organisationID = "olpe"
          $0.role = .viewer
        }
      ]
    },
    FuzzMethod(I.removeMembership) { seeds in
      [
        Ordp_Identity_V1_RemoveMembershipRequest.with {
          $0.userID = seeds.victimUser
          $0.organisationID = "menden"
        }
      ]
    },
    FuzzMethod(I.setUserDisabled) { seeds in
      [
        Ordp_Identity_V1_SetUserDisabledRequest.with {
          $0.userID = seeds.victimUser
          $0.disabled = false
        }
      ]
    },
    FuzzMethod(I.deleteUser) { _ in
      [Ordp_Identity_V1_DeleteUserRequest.with { $0.userID = "no-such-user" }]
    },
    FuzzMethod(I.changePassword) { seeds in
      [
        Ordp_Identity_V1_ChangePasswordRequest.with {
          $0.userID = seeds.victimUser
          $0.newPassword = "Another-Long-Password-2"
        }
      ]
    },
    FuzzMethod(I.createServiceAccount) { _ in
      [
        Ordp_Identity_V1_CreateServiceAccountRequest.with {
          $0.organisationID = "soest"
          $0.name = "fuzz-new"
          $0.description_p = "made by the fuzzer"
        }
      ]
    },
    FuzzMethod(I.listServiceAccounts) { _ in
      [Ordp_Identity_V1_ListServiceAccountsRequest.with { $0.organisationID = "soest" }]
    },
    FuzzMethod(I.createApiKey) { seeds in
      [
        Ordp_Identity_V1_CreateApiKeyRequest.with {
          $0.serviceAccountID = seeds.serviceAccount
          $0.scopes = ["analytics:ingest", "catalogue:read"]
          $0.expiresAtMicros = now + 86_400_000_000
        }
      ]
    },
    FuzzMethod(I.listApiKeys) { seeds in
      [Ordp_Identity_V1_ListApiKeysRequest.with { $0.serviceAccountID = seeds.serviceAccount }]
    },
    FuzzMethod(I.revokeApiKey) { _ in
      [Ordp_Identity_V1_RevokeApiKeyRequest.with { $0.id = "nokey" }]
    },
    FuzzMethod(I.queryAudit) { _ in
      [
        Ordp_Identity_V1_QueryAuditRequest.with {
          $0.organisationID = "soest"
          $0.actor = "user:x"
          $0.fromMicros = now - 86_400_000_000
          $0.toMicros = now
          $0.pageSize = 10
          $0.pageToken = "100"
        }
      ]
    },
  ]

  static let catalogue: [FuzzMethod] = [
    FuzzMethod(C.createDataset) { _ in
      [Ordp_Catalogue_V1_CreateDatasetRequest.with { $0.dataset = FuzzPlatform.dataset(.internal) }]
    },
    FuzzMethod(C.updateDataset) { seeds in
      [
        Ordp_Catalogue_V1_UpdateDatasetRequest.with {
          $0.dataset = FuzzPlatform.dataset(.public)
          $0.dataset.id = seeds.publicDataset
          $0.baseRevision = 1
        }
      ]
    },
    FuzzMethod(C.withdrawDataset) { seeds in
      [
        Ordp_Catalogue_V1_WithdrawDatasetRequest.with {
          $0.id = seeds.restrictedDataset
          $0.baseRevision = 99
          $0.reason = "fuzz"
        }
      ]
    },
    FuzzMethod(C.getDataset) { seeds in
      [Ordp_Catalogue_V1_GetDatasetRequest.with { $0.id = seeds.restrictedDataset }]
    },
    FuzzMethod(C.listRevisions) { seeds in
      [
        Ordp_Catalogue_V1_ListRevisionsRequest.with {
          $0.id = seeds.publicDataset
          $0.pageSize = 1
          $0.pageToken = "1"
        }
      ]
    },
    FuzzMethod(C.search) { _ in
      [
        Ordp_Catalogue_V1_SearchRequest.with {
          $0.query = "Radverkehr Zählstelle"
          $0.publishers = ["soest"]
          $0.themes = ["TRAN"]
          $0.keywords = ["Radverkehr"]
          $0.licenses = ["dl-by-de/2.0"]
          $0.formats = ["CSV"]
          $0.accessLevels = [.public, .restricted]
          $0.modifiedFromMicros = 1
          $0.modifiedToMicros = now
          $0.hasBbox_p = true
          $0.bbox = .with {
            $0.west = 8
            $0.south = 51
            $0.east = 9
            $0.north = 52
          }
          $0.sort = .title
          $0.pageSize = 5
          $0.facets = true
        }
      ]
    },
    FuzzMethod(C.watchChanges, endless: true) { _ in
      [
        Ordp_Catalogue_V1_WatchChangesRequest.with {
          $0.afterPosition = 1
          $0.follow = true
        }
      ]
    },
    FuzzMethod(C.export) { _ in
      [
        Ordp_Catalogue_V1_ExportRequest.with {
          $0.format = .jsonLd
          $0.publisher = "soest"
        }
      ]
    },
    FuzzMethod(C.importCkan) { _ in
      [
        Ordp_Catalogue_V1_ImportCkanRequest.with {
          $0.ckanJson = #"""
            {"id": "fuzz-1", "name": "fuzz-paket", "title": "Paket", "notes": "Beschreibung",
             "license_id": "dl-by-de/2.0", "organization": {"name": "soest"},
             "tags": [{"name": "Wasser"}], "extras": [{"key": "temporal_start", "value": "2020-01-01"}],
             "resources": [{"url": "https://example.org/a.csv", "format": "CSV", "size": "12"}]}
            """#
          $0.publisher = "soest"
        },
        Ordp_Catalogue_V1_ImportCkanRequest.with {
          $0.ckanJson = #"{"id": "fuzz-2", "title": "Zwei"}"#
          $0.replaceLocalChanges = true
        },
      ]
    },
  ]

  static let analytics: [FuzzMethod] = [
    FuzzMethod(A.createDatastream) { _ in
      [
        Ordp_Analytics_V1_CreateDatastreamRequest.with {
          $0.datastream = FuzzPlatform.stream(.internal)
        }
      ]
    },
    FuzzMethod(A.updateDatastream) { seeds in
      [
        Ordp_Analytics_V1_UpdateDatastreamRequest.with {
          $0.datastream = FuzzPlatform.stream(.public)
          $0.datastream.id = seeds.publicStream
          $0.datastream.retention = .with {
            $0.rawDays = 30
            $0.rollupDays = 365
          }
        }
      ]
    },
    FuzzMethod(A.getDatastream) { seeds in
      [Ordp_Analytics_V1_GetDatastreamRequest.with { $0.id = seeds.restrictedStream }]
    },
    FuzzMethod(A.listDatastreams) { _ in
      [
        Ordp_Analytics_V1_ListDatastreamsRequest.with {
          $0.streams.owners = ["soest"]
          $0.streams.observedProperties = ["bicycle_count"]
          $0.pageSize = 1
          $0.pageToken = "a"
        }
      ]
    },
    FuzzMethod(A.setTownRetention) { _ in
      [
        Ordp_Analytics_V1_SetTownRetentionRequest.with {
          $0.owner = "soest"
          $0.retention = .with {
            $0.rawDays = 3650
            $0.rollupDays = 3650
          }
        }
      ]
    },
    FuzzMethod(A.ingest) { seeds in
      [
        Ordp_Analytics_V1_IngestBatch.with {
          $0.batchID = 1
          $0.series = [
            .with {
              $0.datastreamID = seeds.publicStream
              $0.timesMicros = [now - hour, now - hour + 60_000_000]
              $0.results = [3, 4]
              $0.qualities = [1, 0]
            }
          ]
        },
        Ordp_Analytics_V1_IngestBatch.with {
          $0.batchID = 2
          $0.series = [
            .with {
              $0.datastreamID = seeds.restrictedStream
              $0.timesMicros = [now - 2 * hour]
              $0.results = [1e9]
            }
          ]
        },
      ]
    },
    FuzzMethod(A.aggregate) { seeds in
      [
        Ordp_Analytics_V1_AggregateRequest.with {
          $0.streams.datastreamIds = [seeds.publicStream, seeds.restrictedStream]
          $0.fromMicros = now - 48 * hour
          $0.toMicros = now
          $0.bucket.fixedSeconds = 3600
          $0.functions = [.count, .avg, .p95, .stddev]
          $0.groupBy = .town
          $0.partial = true
        }
      ]
    },
    FuzzMethod(A.latest) { seeds in
      [Ordp_Analytics_V1_LatestRequest.with { $0.streams.datastreamIds = [seeds.publicStream] }]
    },
    FuzzMethod(A.readObservations) { seeds in
      [
        Ordp_Analytics_V1_ReadObservationsRequest.with {
          $0.streams.datastreamIds = [seeds.publicStream]
          $0.fromMicros = now - 48 * hour
          $0.toMicros = now
          $0.pageSize = 1
          $0.cursor = Data("1:\(now - 48 * hour):\(seeds.publicStream)".utf8).base64EncodedString()
        }
      ]
    },
  ]
}
