"""FastStream adapters of the dataquartiers service: message -> handler call -> reply."""

from __future__ import annotations

from contracts.dataquartiers import (
    CatalogueV1,
    DatasetReadsV1,
    DatasetReportV1,
    DatasetsV1,
    DatasetV1,
    DatasetValuesV1,
    GetCatalogueV1,
    GetDatasetV1,
    GetDatasetValuesV1,
    GetIndicatorValuesV1,
    GetTerritorySheetV1,
    IndicatorPublishedV1,
    IndicatorValuesV1,
    ListDatasetReadsV1,
    ListDatasetsV1,
    PreviewDatasetV1,
    PublishDatasetV1,
    SecrecyPreviewV1,
    ShareDatasetV1,
    TerritorySheetV1,
    UploadDatasetV1,
)
from contracts.dataquartiers_usecases import (
    RunEmploymentMobilityV1,
    RunHeatwaveIndexV1,
    RunResidentialFlowsV1,
    UseCaseRunV1,
)
from services.dataquartiers import handlers
from services.dataquartiers.handlers import usecases
from services.runtime.bus import Bus


def register(bus: Bus, uow: handlers.UowFactory, reference: handlers.Reference) -> None:
    """Declare the service's RPC handlers and publishers."""
    bus.publisher(IndicatorPublishedV1)

    @bus.rpc(GetCatalogueV1.subject, description=GetCatalogueV1.__doc__)
    async def get_catalogue(query: GetCatalogueV1) -> CatalogueV1:
        return await handlers.get_catalogue(query, reference.catalogue)

    @bus.rpc(UploadDatasetV1.subject, description=UploadDatasetV1.__doc__)
    async def upload_dataset(command: UploadDatasetV1) -> DatasetReportV1:
        return await handlers.upload_dataset(command, uow, bus.files, reference)

    @bus.rpc(GetDatasetV1.subject, description=GetDatasetV1.__doc__)
    async def get_dataset(query: GetDatasetV1) -> DatasetV1:
        return await handlers.get_dataset(query, uow)

    @bus.rpc(PublishDatasetV1.subject, description=PublishDatasetV1.__doc__)
    async def publish_dataset(command: PublishDatasetV1) -> DatasetV1:
        return await handlers.publish_dataset(command, uow, reference)

    @bus.rpc(GetIndicatorValuesV1.subject, description=GetIndicatorValuesV1.__doc__)
    async def indicator_values(query: GetIndicatorValuesV1) -> IndicatorValuesV1:
        return await handlers.indicator_values(query, uow, reference)

    @bus.rpc(ListDatasetsV1.subject, description=ListDatasetsV1.__doc__)
    async def list_datasets(query: ListDatasetsV1) -> DatasetsV1:
        return await handlers.list_datasets(query, uow)

    @bus.rpc(ShareDatasetV1.subject, description=ShareDatasetV1.__doc__)
    async def share_dataset(command: ShareDatasetV1) -> DatasetV1:
        return await handlers.share_dataset(command, uow)

    @bus.rpc(GetDatasetValuesV1.subject, description=GetDatasetValuesV1.__doc__)
    async def dataset_values(query: GetDatasetValuesV1) -> DatasetValuesV1:
        return await handlers.dataset_values(query, uow, reference)

    @bus.rpc(ListDatasetReadsV1.subject, description=ListDatasetReadsV1.__doc__)
    async def list_reads(query: ListDatasetReadsV1) -> DatasetReadsV1:
        return await handlers.list_reads(query, uow)

    @bus.rpc(PreviewDatasetV1.subject, description=PreviewDatasetV1.__doc__)
    async def preview_dataset(query: PreviewDatasetV1) -> SecrecyPreviewV1:
        return await handlers.preview_dataset(query, uow, reference)

    @bus.rpc(GetTerritorySheetV1.subject, description=GetTerritorySheetV1.__doc__)
    async def territory_sheet(query: GetTerritorySheetV1) -> TerritorySheetV1:
        return await handlers.territory_sheet(query, uow, reference)

    @bus.rpc(RunHeatwaveIndexV1.subject, description=RunHeatwaveIndexV1.__doc__)
    async def run_heatwave_index(command: RunHeatwaveIndexV1) -> UseCaseRunV1:
        return await usecases.run_heatwave_index(command, uow, reference)

    @bus.rpc(RunResidentialFlowsV1.subject, description=RunResidentialFlowsV1.__doc__)
    async def run_residential_flows(command: RunResidentialFlowsV1) -> UseCaseRunV1:
        return await usecases.run_residential_flows(command, uow, bus.files, reference)

    @bus.rpc(RunEmploymentMobilityV1.subject, description=RunEmploymentMobilityV1.__doc__)
    async def run_employment_mobility(command: RunEmploymentMobilityV1) -> UseCaseRunV1:
        return await usecases.run_employment_mobility(command, uow, bus.files, reference)
