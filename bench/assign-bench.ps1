<#
.SYNOPSIS
    Assignment benchmark (issue 6), against the simulator with Apple's default limits
    (25 assets and 1000 serial numbers per call, 15 requests per second):
    - one app Required for a device group of 100,000: associate calls, status polls, 429s, seconds;
    - 25 apps Required for the same group (recorded with -Defer, applied by one sync): associate calls.
    - Get-VppAssignmentPlan for those 26 apps after 1,000 more devices joined (every member compared).
    The planner's own cost (50 apps over 100,000 members) is measured by bench/PlanBench.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath
$work = Join-Path ([System.IO.Path]::GetTempPath()) ("vppps-assignbench-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory $work | Out-Null
$env:VPPPS_HOME = Join-Path $work 'home-bench'
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1')

$scenario = Join-Path $work 'assign.json'
@{ pageSize = 1000; locations = @(@{ orgName = 'Bench District'; locationName = 'Assign'; uId = '9100000000000001'; countryISO2ACode = 'US'
    assets = @(1..30 | ForEach-Object { @{ adamId = [string](200000000 + $_); name = ('Bench App {0:D2}' -f $_); productType = 'App'; totalCount = 150000 } }) }) } |
    ConvertTo-Json -Depth 6 | Set-Content $scenario

$script = @'
$ErrorActionPreference = 'Stop'
Import-Module $env:BENCH_MODULE
Add-VppToken -Path $env:BENCH_TOKEN -AppleId bench@district.example -AccountType Education | Out-Null
Sync-VppToken -All | Out-Null
New-VppGroup -Name 'All iPads' -Kind Device | Out-Null
$watch = [Diagnostics.Stopwatch]::StartNew()
1..100000 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'F{0:D10}' -f $_ } } | Add-VppGroupMember -Group 'All iPads'
$result = [ordered]@{ directory_seconds = $watch.Elapsed.TotalSeconds }
function Count($lines, $pattern) { @($lines | Where-Object { $_ -match $pattern }).Count }

$watch.Restart()
$lines = Set-VppAssignment -App 'Bench App 01' -Group 'All iPads' -Intent Required -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
$result.one_app_seconds = $watch.Elapsed.TotalSeconds
$result.one_app_associate_calls = Count $lines '^POST /mdm/v2/assets/associate'
$result.one_app_status_polls = Count $lines '^GET /mdm/v2/status'
$result.one_app_429 = Count $lines '-> 429'
$result.one_app_licensed = (Get-VppAssignment -App 'Bench App 01').LicensedCount

2..26 | ForEach-Object { Set-VppAssignment -App ('Bench App {0:D2}' -f $_) -Group 'All iPads' -Intent Required -Defer | Out-Null }
$watch.Restart()
$lines = Sync-VppToken -Name Assign -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
$result.apps25_seconds = $watch.Elapsed.TotalSeconds
$result.apps25_associate_calls = Count $lines '^POST /mdm/v2/assets/associate'
$result.apps25_status_polls = Count $lines '^GET /mdm/v2/status'
$result.apps25_429 = Count $lines '-> 429'
$result.apps25_licensed = (Get-VppAssignment | Measure-Object LicensedCount -Sum).Sum

# The planner through the module: 1% more members, then the whole plan for the 26 apps as objects.
1..1000 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'G{0:D10}' -f $_ } } | Add-VppGroupMember -Group 'All iPads'
$watch.Restart()
$plan = @(Get-VppAssignmentPlan)
$result.plan_seconds = $watch.Elapsed.TotalSeconds
$result.plan_items = $plan.Count
$result | ConvertTo-Json -Compress
'@

try {
    $sim = Start-VppSimulator -Scenario $scenario -NoServiceUrl
    $r = Invoke-BenchChild $script @{ BENCH_MODULE = $ModulePath; BENCH_TOKEN = $sim.TokenFiles[0].FullName; VPPPS_HOME = (Join-Path $work 'home')
                                      VPPPS_SERVICE_URL = $sim.ServiceUrl; VPPPS_STATUS_POLL_INTERVAL_SECONDS = '1' }
    "assign.directory_100k_devices_seconds=$([math]::Round($r.directory_seconds, 2))"
    $ok1 = $r.one_app_associate_calls -le 100 -and $r.one_app_status_polls -le $r.one_app_associate_calls -and $r.one_app_429 -eq 0 -and $r.one_app_seconds -lt 16
    "assign.one_app_100k_seconds=$([math]::Round($r.one_app_seconds, 2)) associate_calls=$($r.one_app_associate_calls) status_polls=$($r.one_app_status_polls) http_429=$($r.one_app_429) licensed=$($r.one_app_licensed) target<16s,<=100calls,1poll/event,no429 $(if ($ok1) { 'PASS' } else { 'FAIL' })"
    $ok2 = $r.apps25_associate_calls -le 100 -and $r.apps25_429 -eq 0
    "assign.get_plan_26_apps_101k_members_seconds=$([math]::Round($r.plan_seconds, 2)) items=$($r.plan_items) target<2s $(if ($r.plan_seconds -lt 2) { 'PASS' } else { 'FAIL' })"
    "assign.apps25_sync_seconds=$([math]::Round($r.apps25_seconds, 2)) associate_calls=$($r.apps25_associate_calls) status_polls=$($r.apps25_status_polls) http_429=$($r.apps25_429) licensed_total=$($r.apps25_licensed) target<=100calls $(if ($ok2) { 'PASS' } else { 'FAIL' })"
}
finally {
    Stop-VppSimulator
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
