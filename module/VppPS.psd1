@{
    RootModule           = 'VppPS.dll'
    # build.ps1 stamps the version from <VersionPrefix> in Directory.Build.props into the laid-out copy.
    ModuleVersion        = '0.0.0'
    GUID                 = '5a0e7f52-3c8e-4f5e-9a57-0b7d1c6a2f41'
    Author               = 'The VppPS team'
    CompanyName          = 'VppPS'
    Copyright            = '(c) 2026 The VppPS team. MIT License.'
    Description          = 'Manage apps and books bought in volume from Apple (Apps and Books for Organizations): content tokens, license sync, assignments to groups, reclaiming licenses.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('VppPS.format.ps1xml')
    TypesToProcess       = @('VppPS.types.ps1xml')
    CmdletsToExport      = @(
        'Get-VppConfiguration'
        'Set-VppConfiguration'
        'Get-VppAuditLog'
        'Test-VppDatabase'
        'Connect-VppStore'
        'Get-VppStore'
        'New-VppStoreKey'
        'Copy-VppState'
        'Add-VppToken'
        'Get-VppToken'
        'Update-VppToken'
        'Set-VppToken'
        'Remove-VppToken'
        'Test-VppToken'
        'Start-VppSimulator'
        'Stop-VppSimulator'
        'Sync-VppToken'
        'Get-VppSyncHistory'
        'Get-VppLicensedApp'
        'Get-VppLicensedBook'
        'Get-VppLicense'
        'Get-VppUser'
        'Get-VppSubscription'
        'Get-VppSubscriptionSeat'
        'Set-VppMetadataCredential'
        'Get-VppMetadataCredential'
        'Remove-VppMetadataCredential'
        'Register-VppSyncSchedule'
        'Unregister-VppSyncSchedule'
        'Get-VppSyncSchedule'
        'Set-VppAssignment'
        'Get-VppAssignment'
        'Remove-VppAssignment'
        'Get-VppAssignmentPlan'
        'Add-VppAppLicense'
        'Remove-VppAppLicense'
        'New-VppGroup'
        'Get-VppGroup'
        'Remove-VppGroup'
        'Add-VppGroupMember'
        'Remove-VppGroupMember'
        'Get-VppGroupMember'
        'Import-VppDirectory'
        'Get-VppDirectoryUser'
        'Remove-VppDirectoryUser'
        'Get-VppDevice'
        'Export-VppLicenseReport'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Apple', 'VPP', 'AppsAndBooks', 'MDM', 'iOS', 'iPadOS', 'Licensing', 'AppleBusinessManager', 'AppleSchoolManager', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/vppps/VppPS'
            LicenseUri   = 'https://github.com/vppps/VppPS/blob/main/LICENSE'
            # build.ps1 stamps this version's section of CHANGELOG.md into the laid-out copy.
            ReleaseNotes = 'See https://github.com/vppps/VppPS/blob/main/CHANGELOG.md'
        }
    }
}
