# Windows installers around the bundle (dist\ganime\ from scripts\build_bundle.ps1), into dist\packages\
# (docs/packaging.md):
#   GANime-Studio-<v>-setup.exe        per-user install, Start menu (+ optional desktop) shortcut,
#                                      "Open with" for images, uninstaller in Apps & features
#   GANime-Studio-CUDA-<v>-setup.exe   the CUDA add-on: onnxruntime's CUDA provider and the float files of
#                                      the models that run int8 on the CPU, put into that install
# <v> is pyproject.toml's version (ganime_desktop/version.py reads it); the bundle's `ganime --version`
# must agree, else it is stale.
#
# Usage (PowerShell, from anywhere; NSIS 3 installed, makensis on PATH or in its default folder):
#   powershell -ExecutionPolicy Bypass -File scripts\package_windows.ps1
# tests/test_packaging.py compiles the same .nsi scripts on Linux with the same defines.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$bundle = "dist\ganime"
$out = "dist\packages"
$work = "build\windows"
$capi = "_internal\onnxruntime\capi"
$gpuLibs = @("onnxruntime_providers_cuda.dll", "onnxruntime_providers_tensorrt.dll")

$makensis = (Get-Command makensis -ErrorAction SilentlyContinue).Source
if (-not $makensis) { $makensis = Join-Path ${env:ProgramFiles(x86)} "NSIS\makensis.exe" }
if (-not (Test-Path $makensis)) { Write-Error "makensis not found: install NSIS 3 (https://nsis.sourceforge.io)" }
if (-not (Test-Path "$bundle\GANime Studio.exe")) { Write-Error "no bundle in ${bundle}: run scripts\build_bundle.ps1 first" }

$python = if (Test-Path ".venv-build\Scripts\python.exe") { ".venv-build\Scripts\python.exe" } else { "python" }
$version = (& $python -c "import sys; sys.path.insert(0, '.'); from ganime_desktop.version import app_version; print(app_version())").Trim()
$bundleVersion = (& "$bundle\ganime.exe" --version).Trim()
if ($bundleVersion -ne "GANime Studio $version") {
    Write-Error "the bundle says '$bundleVersion' but pyproject.toml says ${version}: rebuild it (scripts\build_bundle.ps1)"
}
# x.y.z[anything] -> x.y.z.0, numeric, for the installers' file properties
$numbers = @([regex]::Match($version, "^\d+(\.\d+){0,3}").Value.Split(".")) + @("0", "0", "0")
$versionQuad = ($numbers[0..3]) -join "."

# The app without the add-on's files, and those files alone at the same place: the GPU providers,
# and the float files of the generators that run int8 on the CPU (packaging/cuda_models.py; only
# CUDA runs them). Without a GPU provider there is no add-on, and the float files stay in the app.
if (Test-Path $work) { Remove-Item -Recurse -Force $work }
New-Item -ItemType Directory -Force -Path "$work\app", "$work\cuda\$capi", $out | Out-Null
Copy-Item -Recurse "$bundle\*" "$work\app"
$haveGpu = $false
foreach ($lib in $gpuLibs) {
    if (Test-Path "$work\app\$capi\$lib") {
        Move-Item "$work\app\$capi\$lib" "$work\cuda\$capi\$lib"
        $haveGpu = $true
    }
}
if ($haveGpu) {
    $models = @(& $python packaging\cuda_models.py $bundle)
    if ($LASTEXITCODE -ne 0) { Write-Error "cannot list the CUDA-only model files (packaging\cuda_models.py)" }
    foreach ($rel in ($models | Where-Object { $_ })) {
        $path = $rel -replace "/", "\"
        New-Item -ItemType Directory -Force -Path (Split-Path "$work\cuda\$path") | Out-Null
        Move-Item "$work\app\$path" "$work\cuda\$path"
    }
}
# What the add-on's uninstaller deletes: every file it installs, as NSIS Delete lines.
$addonFiles = Join-Path (Resolve-Path $work).Path "cuda-files.nsh"
$cudaRoot = (Resolve-Path "$work\cuda").Path
$deletes = Get-ChildItem -Recurse -File $cudaRoot | ForEach-Object {
    'Delete "$INSTDIR\' + $_.FullName.Substring($cudaRoot.Length).TrimStart("\") + '"'
}
Set-Content -Encoding ASCII -Path $addonFiles -Value $deletes

function Invoke-Makensis([string]$script, [string]$payload, [string]$outFile, [string[]]$extra = @()) {
    & $makensis /V2 /WX "/DVERSION=$version" "/DVERSION_QUAD=$versionQuad" "/DPAYLOAD=$((Resolve-Path $payload).Path)" `
        "/DOUTFILE=$((Join-Path (Resolve-Path $out).Path $outFile))" @extra "packaging\windows\$script"
    if ($LASTEXITCODE -ne 0) { Write-Error "makensis $script failed" }
    Write-Host ("{0}  {1:N1} MB" -f (Join-Path $out $outFile), ((Get-Item (Join-Path $out $outFile)).Length / 1e6))
}
Invoke-Makensis "ganime.nsi" "$work\app" "GANime-Studio-$version-setup.exe"
if ($haveGpu) {
    Invoke-Makensis "ganime-cuda.nsi" "$work\cuda" "GANime-Studio-CUDA-$version-setup.exe" @("/DADDON_FILES=$addonFiles")
} else {
    Write-Host "note: the bundle has no CUDA provider (GANIME_BUNDLE_CUDA=0?): no CUDA add-on installer"
}
Remove-Item -Recurse -Force $work
