public import ORDPCatalogueAPI

/// What became of one imported dataset in the store.
public enum ImportOutcome: Sendable, Equatable {
  case created(id: String)
  case updated(id: String)
  case unchanged(id: String)
  /// Refused with the reason (the dataset id when the CKAN id was known).
  case rejected(reason: String, id: String)
}

/// One mapped and validated CKAN document for the store.
public struct ImportItem: Sendable {
  public var dataset: Ordp_Catalogue_V1_Dataset
  /// Whether the import's access level, granted towns and (not) withdrawn state replace what
  /// was changed locally since the last import; by default those stay.
  public var replaceLocalChanges: Bool

  public init(dataset: Ordp_Catalogue_V1_Dataset, replaceLocalChanges: Bool = false) {
    self.dataset = dataset
    self.replaceLocalChanges = replaceLocalChanges
  }
}

/// The rules of CKAN import that every store applies the same way. I/O-free.
public enum ImportRules {
  /// Datasets an import transaction takes at once (one durable commit for all of them).
  public static let batchSize = 200

  /// What a re-import of `existing` stores: the incoming content, with the local decisions —
  /// access level, granted towns, withdrawal — kept unless the import replaces them (then a
  /// withdrawn dataset comes back).
  public static func merged(
    _ incoming: Ordp_Catalogue_V1_Dataset, over existing: Ordp_Catalogue_V1_Dataset,
    replaceLocalChanges: Bool
  ) -> Ordp_Catalogue_V1_Dataset {
    var dataset = incoming
    dataset.id = existing.id
    dataset.slug = existing.slug
    if replaceLocalChanges {
      dataset.withdrawn = false
    } else {
      dataset.accessLevel = existing.accessLevel
      dataset.grantedOrganisations = existing.grantedOrganisations
      dataset.withdrawn = existing.withdrawn
    }
    return dataset
  }

  /// Whether a document brings the same content as `imported` (what an earlier import of it
  /// stored), leaving out what each side decides locally: access level, granted towns,
  /// withdrawal, id and slug.
  public static func sameImportedContent(
    _ imported: Ordp_Catalogue_V1_Dataset, _ incoming: Ordp_Catalogue_V1_Dataset
  ) -> Bool {
    func content(_ dataset: Ordp_Catalogue_V1_Dataset) -> Ordp_Catalogue_V1_Dataset {
      var copy = dataset
      copy.id = ""
      copy.slug = ""
      copy.withdrawn = false
      copy.accessLevel = .unspecified
      copy.grantedOrganisations = []
      return copy
    }
    return sameContent(content(imported), content(incoming))
  }

  /// Whether an import would change nothing (ignoring what the service sets itself).
  public static func sameContent(
    _ a: Ordp_Catalogue_V1_Dataset, _ b: Ordp_Catalogue_V1_Dataset
  ) -> Bool {
    func normalised(_ dataset: Ordp_Catalogue_V1_Dataset) -> Ordp_Catalogue_V1_Dataset {
      var copy = dataset
      copy.revision = 0
      copy.issuedMicros = 0
      if dataset.modifiedMicros == 0 { copy.modifiedMicros = 0 }
      return copy
    }
    var left = normalised(a)
    let right = normalised(b)
    if right.modifiedMicros == 0 { left.modifiedMicros = 0 }
    return left == right
  }
}
