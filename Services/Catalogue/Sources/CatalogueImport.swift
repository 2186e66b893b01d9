public import ORDPCatalogueAPI

/// What became of one imported dataset in the store.
public enum ImportOutcome: Sendable, Equatable {
  case created(id: String)
  case updated(id: String)
  case unchanged(id: String)
  /// Refused with the reason (the dataset id when the CKAN id was known).
  case rejected(reason: String, id: String)
}

/// The rules of CKAN import that every store applies the same way. I/O-free.
public enum ImportRules {
  /// Datasets an import transaction takes at once (one durable commit for all of them).
  public static let batchSize = 200

  /// Whether an import would change nothing (ignoring what the service sets itself).
  public static func sameContent(
    _ a: Ordp_Catalogue_V1_Dataset, _ b: Ordp_Catalogue_V1_Dataset
  ) -> Bool {
    func normalised(_ dataset: Ordp_Catalogue_V1_Dataset) -> Ordp_Catalogue_V1_Dataset {
      var copy = dataset
      copy.revision = 0
      copy.withdrawn = false
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
